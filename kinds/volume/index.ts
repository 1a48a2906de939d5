/**
 * The volume kind's agent face: its resolved spec type, XML build/parse/diff, the
 * resource's checkApply (with import from a URL, import/), and its dependency edges. Its
 * policy face is `policy.ts`.
 */
export type { VolumeSpec } from "./spec.js";
export type { ParsedVolume } from "./parsed.js";
export { checkVolumeSpec } from "./check.js";
export { buildVolumeXml, type VolumeBuildContext } from "./xml-build.js";
export { parseVolumeXml } from "./xml-parse.js";
export { diffVolume, effectiveCapacity } from "./xml-diff.js";
export { importByteLimit, VolumeResource } from "./resource.js";
export { volumeDependencies } from "./dependencies.js";
export {
  FILE_FORMATS,
  PARTITION_TYPES,
  POOL_VOLUME_RULES,
  poolTypeProblems,
  poolVolumeRules,
  type PoolVolumeRules,
} from "./pool-formats.js";
export {
  type ProgressEvent,
  type ProgressReporter,
  redactUrl,
  ChecksumMismatchError,
  ImageMismatchError,
  SourceFetchError,
} from "./import/index.js";
