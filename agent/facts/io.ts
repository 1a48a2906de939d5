import { readFile, readdir, access, readlink, open, statfs, realpath } from "node:fs/promises";
import { constants, type StatsFs } from "node:fs";

const REFUSED = new Set(["ENOENT", "ENOTDIR", "EINVAL", "ENODEV", "ENXIO", "EOPNOTSUPP", "EACCES", "EPERM"]);

/** True for errors that mean "this attribute is absent or the kernel will not give it". */
export function isAbsentOrRefused(err: unknown): boolean {
  return REFUSED.has((err as { code?: string })?.code ?? "");
}

/** Counting semaphore: at most `limit` `run` bodies in flight. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * Asynchronous file access for one collection: every file-system call goes through one
 * semaphore, so however many disks, interfaces or CPUs a host has, at most `limit` calls
 * (and open files) are in flight. Whole-file reads of the same path are shared.
 */
export class Io {
  private readonly sem: Semaphore;
  private readonly shared = new Map<string, Promise<string>>();

  constructor(limit: number) {
    this.sem = new Semaphore(limit);
  }

  /** File text; rejects like fs.readFile. */
  text(path: string): Promise<string> {
    return this.sem.run(() => readFile(path, "utf8"));
  }

  /** Like `text`, but one read per path for the lifetime of this Io. */
  sharedText(path: string): Promise<string> {
    let p = this.shared.get(path);
    if (p === undefined) {
      p = this.text(path);
      this.shared.set(path, p);
    }
    return p;
  }

  /** File text, or null when absent or refused (ENOENT, EINVAL from `speed` of a virtual NIC, …). */
  async optional(path: string): Promise<string | null> {
    try {
      return await this.text(path);
    } catch (err) {
      if (isAbsentOrRefused(err)) return null;
      throw err;
    }
  }

  /** Directory entries; rejects like fs.readdir. */
  list(path: string): Promise<string[]> {
    return this.sem.run(() => readdir(path));
  }

  /** Directory entries, or null when the directory is absent. */
  async listOptional(path: string): Promise<string[] | null> {
    try {
      return await this.list(path);
    } catch (err) {
      if (isAbsentOrRefused(err)) return null;
      throw err;
    }
  }

  /** True when `path` exists (symlinks followed). */
  exists(path: string): Promise<boolean> {
    return this.sem.run(() =>
      access(path, constants.F_OK).then(
        () => true,
        () => false,
      ),
    );
  }

  /** Symlink target, or null when `path` is not a symlink or absent. */
  readlink(path: string): Promise<string | null> {
    return this.sem.run(() => readlink(path).catch(() => null));
  }

  /** Canonical path; rejects like fs.realpath. */
  realpath(path: string): Promise<string> {
    return this.sem.run(() => realpath(path));
  }

  statfs(path: string): Promise<StatsFs> {
    return this.sem.run(() => statfs(path));
  }

  /** True when `path` can be opened read-write (the handle is closed again). */
  canOpenReadWrite(path: string): Promise<boolean> {
    return this.sem.run(async () => {
      try {
        const fh = await open(path, constants.O_RDWR);
        await fh.close();
        return true;
      } catch {
        return false;
      }
    });
  }
}
