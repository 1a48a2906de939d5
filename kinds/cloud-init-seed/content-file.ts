import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { VirtfleetError } from "../../common/errors.js";
import type { CloudInitSpec } from "./schema.js";

/** The largest `writeFiles[].contentFile` read. */
export const CONTENT_FILE_MAX_BYTES = 256 * 1024;

/**
 * A `writeFiles[].contentFile` cannot be used on this host: missing, not a regular file, a
 * symbolic link, accessible by group or others, not owned by the agent's user, or too large.
 * Names the host, the domain, the field and the path; never the content. Raised before the
 * seed is written (dry-run and apply alike), so nothing is applied for the guest.
 */
export class ContentFileError extends VirtfleetError {
  constructor(host: string, domain: string, field: string, path: string, detail: string) {
    super("SECRET_FILE", `${host}: domain ${domain} ${field}: file ${path} ${detail}; nothing was applied`);
  }
}

/**
 * Reads every contentFile of `spec` (by host path). Contract, as for the other secret files
 * (kinds/libvirt-secret/secret-file.ts): opened without following a final symlink; checked on
 * the opened file: a regular file of at most CONTENT_FILE_MAX_BYTES whose mode gives group and
 * others no access (0600, 0400) and whose owner is the agent's user (root for the agent).
 * The bytes go only into the seed; errors never carry them.
 */
export async function readContentFiles(
  spec: CloudInitSpec,
  where: { host: string; domain: string },
  uid: number | undefined = process.getuid?.(),
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const [i, f] of (spec.writeFiles ?? []).entries()) {
    if (f.contentFile === undefined || out.has(f.contentFile)) continue;
    const fail = (detail: string) =>
      new ContentFileError(where.host, where.domain, `cloudInit.writeFiles[${i}].contentFile`, f.contentFile!, detail);
    out.set(f.contentFile, await readOne(f.contentFile, uid, fail));
  }
  return out;
}

async function readOne(path: string, uid: number | undefined, fail: (d: string) => Error): Promise<Buffer> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(
      code === "ENOENT"
        ? "does not exist"
        : code === "ELOOP"
          ? "is a symbolic link (name the file itself)"
          : code === "EACCES"
            ? "cannot be read by the agent"
            : `cannot be opened (${code ?? "error"})`,
    );
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw fail("is not a regular file");
    const mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      const who = [mode & 0o070 ? "group" : null, mode & 0o007 ? "others" : null].filter(Boolean).join(" and ");
      throw fail(`is accessible by ${who} (mode 0${mode.toString(8)}): make it readable by its owner only (chmod 600)`);
    }
    if (uid !== undefined && st.uid !== uid)
      throw fail(`is owned by uid ${st.uid}, not by the agent's user (uid ${uid}): chown it`);
    if (st.size > CONTENT_FILE_MAX_BYTES) throw fail(`is larger than ${CONTENT_FILE_MAX_BYTES} bytes`);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
