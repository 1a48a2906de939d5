import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { hostname } from "node:os";
import { VirtfleetError } from "../../common/errors.js";

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
 * Reads a secret file on this host. Contract: the file is opened without following a final
 * symlink, must be a regular file of at most SECRET_FILE_MAX_BYTES, and its mode must give
 * group and others no access at all (0600, 0400: `chmod 600 FILE`); the check is made on the
 * opened file (no race with a swap of the path). The content is returned to the caller only;
 * errors never carry it.
 */
export async function readSecretFile(path: string, host = hostname()): Promise<Buffer> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "ELOOP"
          ? "is a symbolic link (name the file itself)"
          : code === "EACCES"
            ? "cannot be read by the agent"
            : `cannot be opened (${code ?? "error"})`;
    throw new SecretFileError(host, path, why);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new SecretFileError(host, path, "is not a regular file");
    const mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      const who = [mode & 0o070 ? "group" : null, mode & 0o007 ? "others" : null].filter(Boolean).join(" and ");
      throw new SecretFileError(
        host,
        path,
        `is accessible by ${who} (mode 0${mode.toString(8)}): make it readable by its owner only (chmod 600)`,
      );
    }
    if (st.size > SECRET_FILE_MAX_BYTES)
      throw new SecretFileError(host, path, `is larger than ${SECRET_FILE_MAX_BYTES} bytes`);
    if (st.size === 0) throw new SecretFileError(host, path, "is empty");
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
