import Database from "better-sqlite3";
import {
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { NotFoundError, ValidationError } from "../../common/errors.js";
import { makeFolderPrivate } from "../../common/sqlite/private-files.js";
import { CONTROLLER_DB_FILE } from "./db-file.js";
import { DataFolderLock } from "./data-folder-lock.js";
import { CONTROLLER_MIGRATIONS } from "./migrations.js";

/**
 * Backup and restore of the controller store (DATA/controller.db), contract:
 *
 * - backupStore copies the store with SQLite's online backup API while a controller may be
 *   running (one read transaction on the live WAL database: writers are not blocked and the
 *   copy is one consistent moment). The copy goes to a 0600 temporary file beside FILE, is made
 *   a self-contained file (rollback journal, no -wal/-shm), checked (integrity_check, schema
 *   version equal to the source's), fsynced, then renamed onto FILE.
 * - restoreStore holds the data folder (DataFolderLock: refused while a controller runs there,
 *   and no controller can start meanwhile), refuses a backup that is not a controller store,
 *   fails its integrity check or has a newer schema than this build (an older one is migrated
 *   when the controller starts), copies it into the folder, keeps the store it replaces as
 *   controller.db.before-restore-<UTC timestamp> (with its -wal file: nothing is lost), and
 *   renames the copy into place. The PKI (DATA/pki) and the admin credential (DATA/admin) are
 *   files, not in the store: neither is read nor changed.
 */

export interface StoreSummary {
  /** The store's schema version (PRAGMA user_version). */
  schemaVersion: number;
}

export interface BackupResult extends StoreSummary {
  file: string;
  source: string;
  bytes: number;
}

export interface RestoreResult extends StoreSummary {
  file: string;
  store: string;
  /** Where the replaced store was kept (undefined: the folder had no store). */
  kept?: string;
  /** What was made private in the data folder (it was readable by others). */
  madePrivate: string[];
}

/** Copies DATA/controller.db to `file` (replaced atomically when it exists). */
export async function backupStore(dataDir: string, file: string): Promise<BackupResult> {
  const source = join(dataDir, CONTROLLER_DB_FILE);
  if (!existsSync(source))
    throw new NotFoundError(`no controller store at ${source}: name the controller's data folder with --data`);
  const target = resolve(file);
  if (!existsSync(dirname(target)))
    throw new ValidationError(`${dirname(target)} does not exist: cannot write ${file}`);
  if (existsSync(target)) {
    if (!statSync(target).isFile()) throw new ValidationError(`${file} exists and is not a regular file`);
    if (realpathSync(target) === realpathSync(source))
      throw new ValidationError(`${file} is the store itself: write the backup elsewhere`);
  }
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  const src = new Database(source, { readonly: true, fileMustExist: true });
  try {
    createPrivate(tmp);
    let sourceVersion: number;
    try {
      // One step for all pages: one read transaction, so concurrent writes never restart the copy.
      await src.backup(tmp, { progress: () => 0x7fffffff });
      sourceVersion = src.pragma("user_version", { simple: true }) as number;
    } finally {
      src.close();
    }
    const summary = checkCopy(tmp, `the backup of ${source}`, { journal: "DELETE" });
    if (summary.schemaVersion !== sourceVersion)
      throw new ValidationError(
        `the backup's schema version ${summary.schemaVersion} differs from the store's (${sourceVersion}): the controller was migrating; run the backup again`,
      );
    fsyncFile(tmp);
    renameSync(tmp, target);
    fsyncFile(dirname(target));
    return { ...summary, file: target, source, bytes: statSync(target).size };
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Installs the backup `file` as DATA/controller.db; refused while a controller runs on DATA. */
export async function restoreStore(file: string, dataDir: string, now = new Date()): Promise<RestoreResult> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new NotFoundError(`no backup file ${file}`);
  if (!existsSync(dataDir))
    throw new NotFoundError(`no data folder ${dataDir}: create it (mode 0700) or name the right one with --data`);
  const madePrivate = makeFolderPrivate(dataDir); // or SharedDataFolderError: no store in a shared folder
  const lock = DataFolderLock.acquire(dataDir, "restore");
  const store = join(dataDir, CONTROLLER_DB_FILE);
  const tmp = join(dataDir, `.${CONTROLLER_DB_FILE}.restore.${process.pid}.tmp`);
  try {
    const src = openBackup(file);
    try {
      const version = src.pragma("user_version", { simple: true }) as number;
      const latest = CONTROLLER_MIGRATIONS.length;
      if (version > latest)
        throw new ValidationError(
          `${file} has schema version ${version}, newer than this virtfleet knows (${latest}): restore it with the virtfleet that wrote it, or a newer one`,
        );
      createPrivate(tmp);
      await refuseCorrupt(file, () => src.backup(tmp, { progress: () => 0x7fffffff }));
    } finally {
      src.close();
    }
    const summary = refuseCorrupt(file, () => checkCopy(tmp, file, {}));
    fsyncFile(tmp);
    let kept: string | undefined;
    if (existsSync(store)) {
      kept = `${store}.before-restore-${stamp(now)}`;
      if (existsSync(kept)) throw new ValidationError(`${kept} exists already: try again in a second`);
      renameSync(store, kept);
      if (existsSync(`${store}-wal`)) renameSync(`${store}-wal`, `${kept}-wal`);
      rmSync(`${store}-shm`, { force: true });
    }
    renameSync(tmp, store);
    fsyncFile(dataDir);
    return { ...summary, file, store, kept, madePrivate };
  } catch (err) {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-wal`, { force: true });
    rmSync(`${tmp}-shm`, { force: true });
    throw err;
  } finally {
    lock.release();
  }
}

/**
 * `fn`, with SQLite's own verdict on a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB: raised by
 * whichever read meets the damage first, the integrity check's included) as a ValidationError.
 */
function refuseCorrupt<T>(file: string, fn: () => T): T {
  const refuse = (err: unknown): never => {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB")))
      throw new ValidationError(`${file} is damaged: ${(err as Error).message}`);
    throw err;
  };
  try {
    const out = fn();
    return out instanceof Promise ? (out.catch(refuse) as T) : out;
  } catch (err) {
    return refuse(err);
  }
}

/** Opens a backup file read-only; refuses what is not a SQLite database. */
function openBackup(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma("schema_version"); // reads the header: fails on a file that is not a database
    return db;
  } catch (err) {
    db?.close();
    throw new ValidationError(`${file} is not a controller store backup (${(err as Error).message})`);
  }
}

/**
 * Checks a copy: integrity, a controller store's schema (version ≥ 1, a hosts table); sets
 * its journal mode when asked (DELETE: a self-contained backup file without -wal/-shm).
 */
function checkCopy(file: string, what: string, options: { journal?: "DELETE" }): StoreSummary {
  const db = new Database(file, { fileMustExist: true });
  try {
    const check = db.pragma("integrity_check") as { integrity_check: string }[];
    if (check.length !== 1 || check[0]?.integrity_check !== "ok")
      throw new ValidationError(
        `${what} fails SQLite's integrity check: ${check
          .slice(0, 3)
          .map((r) => r.integrity_check)
          .join("; ")}`,
      );
    const schemaVersion = db.pragma("user_version", { simple: true }) as number;
    const hostsTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'hosts'").get();
    if (schemaVersion < 1 || !hostsTable)
      throw new ValidationError(`${what} is not a controller store (schema version ${schemaVersion}, no hosts table)`);
    if (options.journal) db.pragma(`journal_mode = ${options.journal}`);
    return { schemaVersion };
  } finally {
    db.close();
  }
}

function createPrivate(file: string): void {
  rmSync(file, { force: true });
  closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
}

function fsyncFile(path: string): void {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** `2026-12-06T23:15:04.123Z` → `20261206T231504Z`. */
function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}
