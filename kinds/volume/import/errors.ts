import { VirtfleetError } from "../../../common/errors.js";

/** The source could not be read: HTTP error, connection failure, missing file, too large, stalled. Messages carry the redacted URL. */
export class SourceFetchError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("IMPORT_SOURCE", message, options);
  }
}

/** The downloaded bytes do not hash to the sha256 the policy declares; nothing was imported. */
export class ChecksumMismatchError extends VirtfleetError {
  constructor(
    message: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super("CHECKSUM_MISMATCH", message);
  }
}

/** The image is not what the spec declares (format, capacity, a backing file); nothing was imported. */
export class ImageMismatchError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("IMAGE_MISMATCH", message, options);
  }
}
