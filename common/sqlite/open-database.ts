import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { applyMigrations, type Migration } from "./migrate.js";

export type SqliteDatabase = Database.Database;

/**
 * Opens (creating when absent) a SQLite database in WAL mode with `synchronous=NORMAL`
 * (durable across process crashes; an OS crash may lose the last transactions), foreign
 * keys on, a busy timeout, then applies `migrations`. The folder is created 0700.
 */
export function openDatabase(file: string, migrations: readonly Migration[]): SqliteDatabase {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  applyMigrations(db, migrations);
  return db;
}
