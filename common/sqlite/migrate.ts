import type Database from "better-sqlite3";
import { VirtfleetError } from "../errors.js";

/** One schema step. Versions start at 1 and are consecutive; a step never changes once released. */
export interface Migration {
  version: number;
  name: string;
  /** The step for SQLite. */
  sql: string;
  /** The same step for PostgreSQL (stores that run on both engines). */
  postgres?: string;
  /**
   * A contract step: it removes or changes what older code reads or writes (expand/contract
   * upgrades). A replica whose code predates a contract step refuses the schema; one that
   * predates only expand steps (new tables, columns, indexes) runs on it.
   */
  contract?: boolean;
}

export class MigrationError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MIGRATION", message, options);
  }
}

/**
 * Applies every migration newer than the database's `user_version`, each in its own
 * transaction together with the version bump, so a failure leaves the database at the last
 * complete version. Refuses a database newer than the code (a downgrade).
 */
export function applyMigrations(db: Database.Database, migrations: readonly Migration[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new MigrationError(
        `migration list is not consecutive at ${m.name}: expected version ${i + 1}, got ${m.version}`,
      );
  });
  const current = db.pragma("user_version", { simple: true }) as number;
  const latest = migrations.length;
  if (current > latest) {
    throw new MigrationError(
      `database ${db.name} is at schema version ${current} but this virtfleet knows only up to ${latest}; use a newer virtfleet or a fresh data folder`,
    );
  }
  for (const m of migrations.slice(current)) {
    const step = db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      step();
    } catch (err) {
      throw new MigrationError(`migration ${m.version} (${m.name}) failed on ${db.name}`, { cause: err });
    }
  }
  return latest;
}
