export { declaredResources, resourcesFromPolicies, type ResourceFactoryOptions } from "./from-specs.js";
export { DEFAULT_SHUTDOWN_TIMEOUT_MS, type ResourceContext } from "./context.js";
export { DomainResource, type DomainHostEnv } from "./domain.js";
export { HostResource, PreconditionError } from "./host.js";
export { REAL_HOST, type HostEnvironment } from "./host-environment.js";
export { NetworkResource } from "./network.js";
export { PoolResource } from "./pool.js";
export { VolumeResource, DestructiveChangeError } from "./volume.js";
export { detectDomainEnv } from "./host-quirks.js";
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
} from "./cloud-init/index.js";
export {
  type ProgressEvent,
  type ProgressReporter,
  redactUrl,
  ChecksumMismatchError,
  ImageMismatchError,
  SourceFetchError,
} from "./volume-import/index.js";
