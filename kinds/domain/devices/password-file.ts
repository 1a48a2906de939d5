/**
 * The graphics console password, read by the agent from the file the policy names
 * (`graphics.passwordFile`). Contract: the file is opened without following a final symlink
 * and checked on the opened descriptor (no race with a swap of the path): a regular file,
 * owned by root, with no access for group or others (0600/0400), at most 1 KiB, one line of
 * printable text (trailing line breaks ignored), at most 8 characters for VNC (QEMU's VNC
 * authentication uses only the first 8). Errors (SecretFileError) name the host and the path,
 * never the content; the value goes only into the domain XML given to libvirt, and is compared
 * as a keyed hash (`passwordDigest`), never printed.
 */
import { createHmac, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { hostname } from "node:os";
import { controlCharProblem } from "../../../policy-primitives/names.js";
import { SecretFileError } from "../../libvirt-secret/index.js";

const MAX_BYTES = 1024;
export const VNC_PASSWORD_MAX = 8;

export async function readPasswordFile(path: string, type: "vnc" | "spice", host = hostname()): Promise<string> {
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
    throw new SecretFileError(host, path, `(graphics.passwordFile) ${why}`);
  }
  try {
    const st = await fh.stat();
    const fail = (detail: string) => new SecretFileError(host, path, `(graphics.passwordFile) ${detail}`);
    if (!st.isFile()) throw fail("is not a regular file");
    if (st.uid !== 0) throw fail(`is owned by uid ${st.uid}: it must be owned by root (chown root:root)`);
    const mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      const who = [mode & 0o070 ? "group" : null, mode & 0o007 ? "others" : null].filter(Boolean).join(" and ");
      throw fail(`is accessible by ${who} (mode 0${mode.toString(8)}): make it readable by root only (chmod 600)`);
    }
    if (st.size > MAX_BYTES) throw fail(`is larger than ${MAX_BYTES} bytes`);
    const text = (await fh.readFile()).toString("utf8").replace(/[\r\n]+$/, "");
    if (text.length === 0) throw fail("is empty");
    if (controlCharProblem(text) !== null || text !== text.trim())
      throw fail("must hold one line of printable text without leading or trailing spaces");
    if (type === "vnc" && [...text].length > VNC_PASSWORD_MAX)
      throw fail(`holds more than ${VNC_PASSWORD_MAX} characters: VNC uses only the first ${VNC_PASSWORD_MAX}`);
    return text;
  } finally {
    await fh.close();
  }
}

/** Key of this process's digests: a digest never leaves the process and cannot be looked up offline. */
const DIGEST_KEY = randomBytes(32);

/** A keyed hash of a password, for comparison only (never shown); null for none. */
export function passwordDigest(password: string | null): string | null {
  return password === null ? null : createHmac("sha256", DIGEST_KEY).update(password, "utf8").digest("hex");
}
