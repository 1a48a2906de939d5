/**
 * The resource kinds, as the agent (and the CLI's local apply and the planner) use them:
 * one folder per kind (kinds/<kind>/index.ts is its agent face), the kind list
 * (names.ts), the agent's registry (registry.ts), and `resourcesFromPolicies`, which turns
 * resolved policies into the engine's resources with their dependency edges. The policy
 * face of the kinds (document schemas, resolve, semantics, claims) is policy-kinds.ts, for
 * the policy language only: nothing here loads TypeBox, Ajv or yaml at run time.
 * See docs/design/kinds.md.
 */
export { KIND_NAMES, isKindName, type KindName } from "./names.js";
export { AGENT_KINDS, type AgentKind } from "./registry.js";
export { declaredResources, resourcesFromPolicies, type ResourceFactoryOptions } from "./build-resources.js";
export { DEFAULT_SHUTDOWN_TIMEOUT_MS, type ResourceContext } from "./resource-context.js";
export type { PolicyMode, ResolvedPolicy, ResourcesSpec, SourceLocation } from "./resolved-policy.js";
export * from "./libvirt-xml/index.js";
export * from "./host/index.js";
export * from "./network/index.js";
export * from "./pool/index.js";
export * from "./volume/index.js";
export * from "./domain/index.js";
export * from "./ownership/index.js";
export {
  CloudInitSeedResource,
  renderMetaData,
  renderSeed,
  renderUserData,
  readSeedFile,
  seedPoolOf,
  seedVolumeName,
  writeSeedIso,
  type SeedContent,
  type SeedFileState,
} from "./cloud-init-seed/index.js";
