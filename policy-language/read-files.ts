import { constants } from "node:fs";
import { open } from "node:fs/promises";
import type { PolicyIssue } from "../policy-primitives/issues.js";
import { formatLimitBytes, POLICY_LIMITS } from "./limits.js";
import { outsideFolder } from "./safe-read.js";

export interface ReadLimits {
  fileBytes: number;
  totalBytes: number;
  files: number;
}

/** A file was not read: its issue (at 1:1), or "skip" when it vanished meanwhile or is a folder. */
export type ReadRefusal = { issue: PolicyIssue } | "skip";

/**
 * Reads the policy files of one load within POLICY_LIMITS (or `limits`), before any parsing:
 * - more than `files` files: the load is refused whole (one issue on the folder or first path);
 * - a file over `fileBytes`, or one that would take the load past `totalBytes`, is not read
 *   and becomes an issue naming the file and the limit;
 * - only regular files are read (a FIFO or device named `x.yaml` would hang or never end):
 *   the file is opened non-blocking and checked with fstat, and at most `fileBytes` + 1
 *   bytes are read, so a file that grows after the check is still caught;
 * - with `root` (the policies folder the file was listed from), a file that is not inside
 *   it once symbolic links are followed is refused unread (safe-read.ts).
 */
export class PolicyReadBudget {
  private total = 0;
  readonly limits: ReadLimits;

  constructor(limits: Partial<ReadLimits> = {}) {
    this.limits = {
      fileBytes: POLICY_LIMITS.fileBytes,
      totalBytes: POLICY_LIMITS.totalBytes,
      files: POLICY_LIMITS.files,
      ...limits,
    };
  }

  /** An issue when `count` files are more than one load may hold; `where` names the folder. */
  checkCount(count: number, where: string): PolicyIssue | null {
    if (count <= this.limits.files) return null;
    return {
      ...issue(
        where,
        `${count} policy files, more than the limit of ${this.limits.files} in one load; merge policies into fewer files`,
      ),
      line: 0,
      col: 0,
    };
  }

  /**
   * Counts a file already in memory (`policy push`: the files arrive in a request) against the
   * limits, as `read` counts one from disk: its issue when it is over `fileBytes` or would take
   * the load past `totalBytes` (then it is not counted), else null.
   */
  admit(file: string, bytes: number): PolicyIssue | null {
    if (bytes > this.limits.fileBytes) return tooLarge(file, bytes, this.limits.fileBytes);
    if (this.total + bytes > this.limits.totalBytes) return totalTooLarge(file, this.limits.totalBytes);
    this.total += bytes;
    return null;
  }

  /** Reads `file` as UTF-8 text within the limits; `root`: the folder it must stay inside. */
  async read(file: string, root?: string): Promise<{ text: string } | ReadRefusal> {
    if (root !== undefined) {
      const outside = await outsideFolder(file, root);
      if (outside === "gone") return "skip";
      if (outside !== null) return { issue: issue(file, outside) };
    }
    let fh;
    try {
      fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return "skip";
      return { issue: issue(file, `cannot read: ${(err as Error).message}`) };
    }
    try {
      if (root !== undefined) {
        const outside = await outsideFolder(file, root, fh);
        if (outside === "gone") return "skip";
        if (outside !== null) return { issue: issue(file, outside) };
      }
      const st = await fh.stat();
      if (st.isDirectory()) return "skip";
      if (!st.isFile()) return { issue: issue(file, "not a regular file; only regular files are read as policies") };
      const { fileBytes, totalBytes } = this.limits;
      if (st.size > fileBytes) return { issue: tooLarge(file, st.size, fileBytes) };
      if (this.total + st.size > totalBytes) return { issue: totalTooLarge(file, totalBytes) };
      const buf = Buffer.alloc(Math.min(st.size, fileBytes) + 1);
      let got = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
        if (got === buf.length) break;
      }
      if (got > fileBytes) return { issue: tooLarge(file, null, fileBytes) };
      if (this.total + got > totalBytes) return { issue: totalTooLarge(file, totalBytes) };
      this.total += got;
      return { text: buf.subarray(0, got).toString("utf8") };
    } catch (err) {
      return { issue: issue(file, `cannot read: ${(err as Error).message}`) };
    } finally {
      await fh.close();
    }
  }
}

/** An issue on a whole file, at 1:1 (editors and `file:line:col` parsers jump to it); the folder-level one has no position. */
function issue(file: string, message: string): PolicyIssue {
  return { file, line: 1, col: 1, path: "", message };
}

/** `size` null: the file grew past the limit while it was read. */
function tooLarge(file: string, size: number | null, limit: number): PolicyIssue {
  const what = size === null ? "larger than" : `${size} bytes, larger than`;
  return issue(
    file,
    `${what} the limit of ${formatLimitBytes(limit)} per policy file (refused unparsed); split it into several files`,
  );
}

function totalTooLarge(file: string, limit: number): PolicyIssue {
  return issue(
    file,
    `refused unparsed: with this file the policy files of one load exceed the limit of ${formatLimitBytes(limit)} in total`,
  );
}
