export {
  renderMetaData,
  renderSeed,
  renderUserData,
  instanceIdFor,
  localHostname,
  DEFAULT_USER_SHELL,
  type SeedContent,
} from "./render.js";
export {
  readSeedFile,
  writeSeedIso,
  SEED_ISO_TOOLS,
  SEED_VOLUME_ID,
  DEFAULT_SEED_BUILD_TIMEOUT_MS,
  type IsoTool,
  type SeedBuildOptions,
  type SeedFileState,
} from "./seed-iso.js";
export { CloudInitSeedResource, seedPoolOf, seedVolumeName } from "./seed-resource.js";
