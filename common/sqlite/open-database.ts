import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { applyMigrations, type Migration } from "./migrate.js";

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /**
   * `NORMAL` (default): durable across process crashes; an OS crash or power loss may lose
   * the last transactions. `FULL`: every commit is fsynced — for stores that acknowledge
   * writes to peers which then delete their copy (the controller's event store).
   */
  synchronous?: "NORMAL" | "FULL";
}

/**
 * Opens (creating when absent) a SQLite database in WAL mode, foreign keys on, a busy
 * timeout, then applies `migrations`. The folder is created 0700.
 */
export function openDatabase(
  file: string,
  migrations: readonly Migration[],
  options: OpenDatabaseOptions = {},
): SqliteDatabase {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  applyMigrations(db, migrations);
  return db;
}
