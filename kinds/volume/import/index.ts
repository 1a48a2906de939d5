export { ChecksumMismatchError, ImageMismatchError, SourceFetchError } from "./errors.js";
export { DEFAULT_IMPORT_IDLE_TIMEOUT_MS, downloadTo, type DownloadOptions, type Downloaded } from "./fetch-source.js";
export { imageInfo, parseImageInfo, type ImageInfo } from "./image-info.js";
export {
  importIntoDir,
  partialPath,
  VolumeFileExistsError,
  type DirImportRequest,
  type DirImportResult,
} from "./import-into-dir.js";
export {
  DEFAULT_PROGRESS_INTERVAL_MS,
  throttledProgress,
  type ProgressEvent,
  type ProgressReporter,
} from "../../progress.js";
export { redactUrl } from "./redact.js";
