import Database from "better-sqlite3";
import { closeSync, constants, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VirtfleetError } from "../../common/errors.js";

/** The lock file in the data folder, and the file naming its holder's pid (informational). */
export const LOCK_FILE = "controller.lock";
export const LOCK_PID_FILE = "controller.pid";

/** The data folder is held by another process (a running controller, or a restore): exit code 4. */
export class DataFolderInUseError extends VirtfleetError {
  constructor(
    readonly dataDir: string,
    message: string,
  ) {
    super("REFUSED", message);
  }
}

/**
 * Exclusive use of a controller data folder, for as long as the process holds it: the running
 * controller (taken by ControllerStore.open, released by close) and `controller restore`.
 *
 * The lock is SQLite's own file lock (POSIX advisory, on DATA/controller.lock): a write
 * transaction is opened and never committed, so the lock goes with the process however it
 * ends (a crash or SIGKILL included: no stale lock, no pid reuse confusion), and it also holds
 * between two connections of one process. DATA/controller.pid names the holder for messages
 * only; the lock alone decides.
 */
export class DataFolderLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly pidFile: string,
  ) {}

  /** Takes the lock or throws DataFolderInUseError naming the holder; `what` says who asks ("the controller"). */
  static acquire(dataDir: string, what: string): DataFolderLock {
    const file = join(dataDir, LOCK_FILE);
    createPrivate(file);
    const db = new Database(file, { timeout: 0 });
    try {
      db.exec("BEGIN IMMEDIATE");
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code !== "SQLITE_BUSY") throw err;
      const pid = holderPid(dataDir);
      throw new DataFolderInUseError(
        dataDir,
        `${what} cannot use the data folder ${dataDir}: another process holds it (${pid ? `pid ${pid}, ` : ""}a running controller or restore; lock ${file})`,
      );
    }
    const pidFile = join(dataDir, LOCK_PID_FILE);
    try {
      const tmp = `${pidFile}.${process.pid}.tmp`;
      writeFileSync(tmp, `${process.pid}\n`, { mode: 0o600 });
      renameSync(tmp, pidFile);
    } catch {
      // informational only
    }
    return new DataFolderLock(db, pidFile);
  }

  /** True while some process (this one included) holds the folder. */
  static isHeld(dataDir: string): boolean {
    let db: Database.Database;
    try {
      db = new Database(join(dataDir, LOCK_FILE), { timeout: 0, fileMustExist: true });
    } catch {
      return false;
    }
    try {
      db.exec("BEGIN IMMEDIATE");
      db.exec("ROLLBACK");
      return false;
    } catch (err) {
      if ((err as { code?: string }).code === "SQLITE_BUSY") return true;
      throw err;
    } finally {
      db.close();
    }
  }

  release(): void {
    if (!this.db.open) return;
    rmSync(this.pidFile, { force: true });
    this.db.exec("ROLLBACK");
    this.db.close();
  }
}

function createPrivate(file: string): void {
  try {
    closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

function holderPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, LOCK_PID_FILE), "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
