export {
  PolicyRepository,
  DEFAULT_RELOAD_DEBOUNCE_MS,
  type PolicySet,
  type PolicyChange,
  type PolicyChangeOrigin,
  type ReloadOutcome,
  type PolicyRepositoryOptions,
} from "./repository.js";
export { PolicyStore, type PolicyRevisionRow, type PolicyLoadRow, type AcceptedLoad } from "./policy-store.js";
export { planRevisions, type RevisionInForce, type RevisionPlan } from "./revisions.js";
export { PoliciesDirError, PolicyPushRefusedError } from "./errors.js";
export { pushedSources, type PushedFile } from "./pushed-files.js";
export { isPolicyFileName, readPolicyFolder, assertPoliciesDir } from "./folder.js";
export { watchPolicyFolder, type FolderWatch } from "./watch.js";
export { documentSource } from "./document-source.js";
export { targetHostOf, lazyTargetHost, resolvedTargetHost, withInventory } from "./target-host.js";

/** `--policies` default: the folder `policies` in the working directory. */
export const DEFAULT_POLICIES_DIR = "policies";
export { PolicyRevisionLoader, PolicyRevisionUnavailableError } from "./revision-loader.js";
export { POLICIES_SCHEMA, POLICIES_SCHEMA_PG } from "./schema.js";
