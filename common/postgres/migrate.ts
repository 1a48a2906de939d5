import type pg from "pg";
import { MigrationError, type Migration } from "../sqlite/migrate.js";
import { classifyPgError, StoreUnavailableError } from "./errors.js";
import type { PgDatabase } from "./pg-database.js";

/** The session advisory lock key replicas take while migrating (one migrates, the others wait). */
const MIGRATE_LOCK_KEY = 0x76660001;

/** What the schema table says after migrate: the version the database is at and what this build knows. */
export interface PgSchemaState {
  version: number;
  known: number;
  /** Steps newer than this build, all expand steps (this build runs on them). */
  newerCompatible: { version: number; name: string }[];
}

/**
 * Applies every step newer than the database's, each in one transaction with its row in
 * `virtfleet_schema`, holding a session advisory lock so that replicas starting together
 * migrate once. A database newer than this build is run on when every newer step is an
 * expand step (`contract` unset: a rolling upgrade's older replica), refused with
 * StoreUnavailableError ("schema") otherwise, and never migrated down.
 */
export async function applyPgMigrations(db: PgDatabase, migrations: readonly Migration[]): Promise<PgSchemaState> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new MigrationError(
        `migration list is not consecutive at ${m.name}: expected version ${i + 1}, got ${m.version}`,
      );
    if (m.postgres === undefined) throw new MigrationError(`migration ${m.version} (${m.name}) has no PostgreSQL text`);
  });
  const client = await db.dedicatedClient("virtfleet-migrate");
  client.on("error", () => undefined);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS virtfleet_schema (
         version    INTEGER PRIMARY KEY,
         name       TEXT NOT NULL,
         contract   INTEGER NOT NULL DEFAULT 0,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const rows = (
      await client.query<{ version: number; name: string; contract: number }>(
        "SELECT version, name, contract FROM virtfleet_schema ORDER BY version",
      )
    ).rows;
    const current = rows.length ? rows[rows.length - 1]!.version : 0;
    const known = migrations.length;
    if (current > known) {
      const newer = rows.filter((r) => r.version > known);
      const breaking = newer.find((r) => r.contract === 1);
      if (breaking)
        throw new StoreUnavailableError(
          "schema",
          `PostgreSQL at ${db.target} has schema version ${current}; step ${breaking.version} (${breaking.name}) changed what this virtfleet (schema ${known}) reads: upgrade this controller to the version that migrated it`,
        );
      return { version: current, known, newerCompatible: newer.map((r) => ({ version: r.version, name: r.name })) };
    }
    for (const m of migrations.slice(current)) await applyStep(client, m, db.target);
    return { version: known, known, newerCompatible: [] };
  } catch (err) {
    if (err instanceof StoreUnavailableError || err instanceof MigrationError) throw err;
    // read-only (a step's 25006 is passed through to here), unreachable, refused: as every query
    throw classifyPgError(err, db.target) ?? err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function applyStep(client: pg.Client, m: Migration, target: string): Promise<void> {
  try {
    await client.query("BEGIN");
    await client.query(m.postgres!);
    await client.query("INSERT INTO virtfleet_schema (version, name, contract) VALUES ($1, $2, $3)", [
      m.version,
      m.name,
      m.contract ? 1 : 0,
    ]);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    if ((err as { code?: string }).code === "25006") throw err;
    throw new MigrationError(`migration ${m.version} (${m.name}) failed on PostgreSQL at ${target}`, { cause: err });
  }
}
