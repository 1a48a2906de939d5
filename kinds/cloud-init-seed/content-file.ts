import { VirtfleetError } from "../../common/errors.js";
import { readPrivateFile } from "../../common/private-file.js";
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
 * Reads every contentFile of `spec` (by host path), with the rules of common/private-file.ts
 * (no symlink, a regular file, mode 0600/0400), owned by the agent's user, at most
 * CONTENT_FILE_MAX_BYTES (may be empty).
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

function readOne(path: string, uid: number | undefined, fail: (d: string) => Error): Promise<Buffer> {
  return readPrivateFile(path, { maxBytes: CONTENT_FILE_MAX_BYTES, owner: uid, allowEmpty: true }, fail);
}
