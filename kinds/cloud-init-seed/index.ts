export {
  contentFilesOf,
  renderMetaData,
  renderNetworkConfig,
  renderSeed,
  renderVendorData,
  renderUserData,
  instanceIdFor,
  localHostname,
  DEFAULT_USER_SHELL,
  type ContentFiles,
  type SeedContent,
} from "./render.js";
export {
  readSeedFile,
  seedFiles,
  writeSeedIso,
  SEED_ISO_TOOLS,
  SEED_VOLUME_ID,
  DEFAULT_SEED_BUILD_TIMEOUT_MS,
  type IsoTool,
  type SeedBuildOptions,
  type SeedFileState,
} from "./seed-iso.js";
export { CloudInitSeedResource, seedPoolOf, seedVolumeName } from "./seed-resource.js";
export { DomainWithSeedCleanup, mayHaveLeftoverSeed } from "./seed-cleanup.js";
export { ContentFileError, CONTENT_FILE_MAX_BYTES, readContentFiles } from "./content-file.js";
export { readSeedTexts, seedFieldChanges } from "./seed-diff.js";
