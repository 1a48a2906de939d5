/**
 * The graphics console password, read by the agent from the file the policy names
 * (`graphics.passwordFile`). Contract: the rules of common/private-file.ts (no symlink, a
 * regular file, mode 0600/0400) with the owner root and at most 1 KiB; one line of
 * printable text (trailing line breaks ignored), at most 8 characters for VNC (QEMU's VNC
 * authentication uses only the first 8). Errors (SecretFileError) name the host and the path,
 * never the content; the value goes only into the domain XML given to libvirt, and is compared
 * as a keyed hash (`passwordDigest`), never printed.
 */
import { createHmac, randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { readPrivateFile } from "../../../common/private-file.js";
import { controlCharProblem } from "../../../policy-primitives/names.js";
import { SecretFileError } from "../../libvirt-secret/index.js";

const MAX_BYTES = 1024;
export const VNC_PASSWORD_MAX = 8;

export async function readPasswordFile(path: string, type: "vnc" | "spice", host = hostname()): Promise<string> {
  const fail = (detail: string) => new SecretFileError(host, path, `(graphics.passwordFile) ${detail}`);
  const bytes = await readPrivateFile(path, { maxBytes: MAX_BYTES, owner: 0 }, fail);
  const text = bytes.toString("utf8").replace(/[\r\n]+$/, "");
  if (text.length === 0) throw fail("is empty");
  if (controlCharProblem(text) !== null || text !== text.trim())
    throw fail("must hold one line of printable text without leading or trailing spaces");
  if (type === "vnc" && [...text].length > VNC_PASSWORD_MAX)
    throw fail(`holds more than ${VNC_PASSWORD_MAX} characters: VNC uses only the first ${VNC_PASSWORD_MAX}`);
  return text;
}

/** Key of this process's digests: a digest never leaves the process and cannot be looked up offline. */
const DIGEST_KEY = randomBytes(32);

/** A keyed hash of a password, for comparison only (never shown); null for none. */
export function passwordDigest(password: string | null): string | null {
  return password === null ? null : createHmac("sha256", DIGEST_KEY).update(password, "utf8").digest("hex");
}
