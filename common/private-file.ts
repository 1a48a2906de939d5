import { constants } from "node:fs";
import { open } from "node:fs/promises";

/**
 * Reads a file that holds a secret (a CHAP key, a console password, a file's content for a
 * guest) named in a policy, on this host. Contract: the file is opened without following a
 * final symlink and checked on the opened descriptor (no race with a swap of the path): a
 * regular file, no access for group or others (0600/0400), owned by `owner` when given, at most
 * `maxBytes`, not empty unless `allowEmpty`. A failure is `fail(detail)`: the caller's own error,
 * naming what it knows (host, field, path); `detail` never holds the content.
 */
export interface PrivateFileRules {
  maxBytes: number;
  /** The uid the file must belong to (root: 0); any owner when absent. */
  owner?: number;
  allowEmpty?: boolean;
}

export async function readPrivateFile(
  path: string,
  rules: PrivateFileRules,
  fail: (detail: string) => Error,
): Promise<Buffer> {
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
    if (rules.owner !== undefined && st.uid !== rules.owner)
      throw fail(
        `is owned by uid ${st.uid}: it must be owned by ${rules.owner === 0 ? "root" : `uid ${rules.owner}`}, the agent's user (chown it)`,
      );
    if (st.size > rules.maxBytes) throw fail(`is larger than ${rules.maxBytes} bytes`);
    if (st.size === 0 && !rules.allowEmpty) throw fail("is empty");
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
