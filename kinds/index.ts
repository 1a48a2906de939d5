export { resourcesFromPolicies, type ResourceFactoryOptions } from "./build-resources.js";
export { DEFAULT_SHUTDOWN_TIMEOUT_MS, type ResourceContext } from "./resource-context.js";
export { DomainResource, type DomainHostEnv } from "./domain/resource.js";
export { HostResource, PreconditionError } from "./host/resource.js";
export { REAL_HOST, type HostEnvironment } from "./host/environment.js";
export { NetworkResource } from "./network/resource.js";
export { PoolResource } from "./pool/resource.js";
export { VolumeResource, DestructiveChangeError } from "./volume/resource.js";
export { detectDomainEnv } from "./domain/host-env.js";
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
export {
  type ProgressEvent,
  type ProgressReporter,
  redactUrl,
  ChecksumMismatchError,
  ImageMismatchError,
  SourceFetchError,
} from "./volume/import/index.js";
