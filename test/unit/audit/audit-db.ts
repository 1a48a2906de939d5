import Database from "better-sqlite3";
import { applyMigrations } from "../../../common/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";

/** An in-memory controller database with every migration applied (the audit table among them). */
export function auditDb(): Database.Database {
  const db = new Database(":memory:");
  applyMigrations(db, CONTROLLER_MIGRATIONS);
  return db;
}

/** Tampering as someone with write access to the file would: drop the triggers, then change rows. */
export function dropTriggers(db: Database.Database): void {
  db.exec("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;");
}
