import { chmodSync, closeSync, constants, openSync, statSync } from "node:fs";
import { VirtfleetError } from "../errors.js";

/** A database's folder cannot be made private (it is shared, or not ours): the store is not opened. */
export class SharedDataFolderError extends VirtfleetError {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super("SHARED_DATA_FOLDER", message);
  }
}

/** The files SQLite keeps for `file` in WAL mode. */
export function databaseFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`];
}

/**
 * Makes `dir` (a database's folder) private, whatever existed before: group or world
 * access is taken away (chmod 0700) and a message says so. A folder that is world-writable
 * or sticky (a shared folder such as /tmp) or owned by another user is never changed:
 * SharedDataFolderError says what to do instead. Returns the messages of what was fixed.
 */
export function makeFolderPrivate(dir: string): string[] {
  const st = statSync(dir);
  const mode = st.mode & 0o7777;
  if ((mode & 0o077) === 0) return [];
  const uid = process.getuid?.();
  const shared = (mode & 0o002) !== 0 || (mode & 0o1000) !== 0;
  if (shared || (uid !== undefined && st.uid !== uid))
    throw new SharedDataFolderError(
      dir,
      `the data folder ${dir} is ${shared ? "shared (world-writable or sticky)" : "owned by another user"} and readable by others; the database (password hashes, keys) must be in a private folder: use a folder of its own (mode 0700)`,
    );
  chmodSync(dir, mode & 0o700);
  return [`the data folder ${dir} was readable by others (mode ${octal(mode)}); it is now 0700`];
}

/**
 * Creates the database file 0600 before SQLite does (SQLite gives its -wal and -shm files
 * the database file's mode), and takes group/world access from any of the three that
 * existed before. Returns the messages of what was fixed.
 */
export function makeDatabaseFilesPrivate(file: string): string[] {
  try {
    closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const fixed: string[] = [];
  for (const f of databaseFiles(file)) {
    let mode: number;
    try {
      mode = statSync(f).mode & 0o7777;
    } catch {
      continue;
    }
    if ((mode & 0o077) === 0) continue;
    chmodSync(f, mode & 0o600);
    fixed.push(`the database file ${f} was readable by others (mode ${octal(mode)}); it is now 0600`);
  }
  return fixed;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}
