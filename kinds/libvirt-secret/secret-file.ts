import { hostname } from "node:os";
import { VirtfleetError } from "../../common/errors.js";
import { readPrivateFile } from "../../common/private-file.js";

/** The largest secret file read (libvirt's REMOTE_SECRET_VALUE_MAX). */
export const SECRET_FILE_MAX_BYTES = 65_536;

/**
 * A secret file named in a policy cannot be used: missing, not a regular file, readable by
 * group or others, or too large. Names the host and the path, never the content. Thrown in
 * the plan stage and before anything is applied.
 */
export class SecretFileError extends VirtfleetError {
  constructor(
    readonly host: string,
    readonly path: string,
    detail: string,
  ) {
    super("SECRET_FILE", `host ${host}: secret file ${path} ${detail}; nothing was applied`);
  }
}

/**
 * Reads a secret file on this host (common/private-file.ts: no symlink, a regular file, mode
 * 0600/0400, at most SECRET_FILE_MAX_BYTES, not empty). The content is returned to the caller
 * only; errors never carry it.
 */
export async function readSecretFile(path: string, host = hostname()): Promise<Buffer> {
  return readPrivateFile(path, { maxBytes: SECRET_FILE_MAX_BYTES }, (why) => new SecretFileError(host, path, why));
}
