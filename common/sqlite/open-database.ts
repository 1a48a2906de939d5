import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { applyMigrations, type Migration } from "./migrate.js";
import { makeDatabaseFilesPrivate, makeFolderPrivate } from "./private-files.js";

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /**
   * `NORMAL` (default): durable across process crashes; an OS crash or power loss may lose
   * the last transactions. `FULL`: every commit is fsynced — for stores that acknowledge
   * writes to peers which then delete their copy (the controller's event store).
   */
  synchronous?: "NORMAL" | "FULL";
  /** Told what was made private (a folder or file that others could read); default: a process warning. */
  warn?: (message: string) => void;
}

/**
 * Opens (creating when absent) a SQLite database in WAL mode, foreign keys on, a busy
 * timeout, then applies `migrations`. Private whatever existed before (private-files.ts):
 * the folder is created 0700 and an existing one others can read is made 0700 (a shared or
 * foreign folder is refused: SharedDataFolderError); the database and its -wal/-shm files
 * are 0600. Each fix is reported to `options.warn`. ":memory:" has no files.
 */
export function openDatabase(
  file: string,
  migrations: readonly Migration[],
  options: OpenDatabaseOptions = {},
): SqliteDatabase {
  const onDisk = file !== ":memory:" && file !== "";
  const fixed: string[] = [];
  if (onDisk) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    fixed.push(...makeFolderPrivate(dirname(file)), ...makeDatabaseFilesPrivate(file));
  }
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  if (onDisk) fixed.push(...makeDatabaseFilesPrivate(file));
  for (const m of fixed) (options.warn ?? ((text: string) => process.emitWarning(text)))(m);
  db.pragma(`synchronous = ${options.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  applyMigrations(db, migrations);
  return db;
}
