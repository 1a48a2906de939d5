import Database from "better-sqlite3";
import { dirname } from "node:path";
import { VirtfleetError, type SqlValue } from "../../common/index.js";
import { applyPgMigrations, PgDatabase } from "../../common/postgres/index.js";
import { DataFolderLock } from "./data-folder-lock.js";
import { CONTROLLER_MIGRATIONS } from "./migrations.js";
import type { StoreLocation } from "./store-location.js";

/** migrate-store refused: the source or the target is not in a state it copies from or to. Nothing was written. */
export class MigrateStoreError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MIGRATE_STORE", message, options);
  }
}

export interface MigrateStoreResult {
  /** Rows copied per table, in copy order (each verified equal on both sides). */
  tables: { table: string; rows: number }[];
  schemaVersion: number;
}

/** Tables others reference come first (every foreign key points at `hosts`). */
const FIRST = ["hosts"];
/** Rows per INSERT (each row is one parameter per column; PostgreSQL allows 65,535 per statement). */
const BATCH_ROWS = 500;

/**
 * Copies a SQLite controller store into an empty PostgreSQL database, one way: the schema is
 * created on the target, every table copied in one PostgreSQL transaction, each table's row
 * count compared, identity sequences moved past the copied ids; then committed. Nothing is
 * written to the target when any check fails (MigrateStoreError), and the source is only read.
 * Refused: a source in use by a controller (its data folder's lock), a source at another
 * schema version than this build's (start this version's controller on it once first), a
 * target that already holds rows.
 */
export async function migrateStore(
  from: Extract<StoreLocation, { engine: "sqlite" }>,
  to: Extract<StoreLocation, { engine: "postgres" }>,
  progress?: (table: string, rows: number) => void,
): Promise<MigrateStoreResult> {
  const lock = DataFolderLock.acquire(dirname(from.path), "controller migrate-store");
  let source: Database.Database | undefined;
  let target: PgDatabase | undefined;
  try {
    try {
      source = new Database(from.path, { readonly: true, fileMustExist: true });
    } catch (err) {
      throw new MigrateStoreError(`cannot open the SQLite store ${from.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const version = source.pragma("user_version", { simple: true }) as number;
    if (version !== CONTROLLER_MIGRATIONS.length)
      throw new MigrateStoreError(
        version > CONTROLLER_MIGRATIONS.length
          ? `${from.path} is at schema version ${version}, newer than this virtfleet (${CONTROLLER_MIGRATIONS.length}): use the virtfleet that wrote it`
          : `${from.path} is at schema version ${version}, this virtfleet at ${CONTROLLER_MIGRATIONS.length}: start this version's controller on it once (it migrates the file), stop it, then migrate`,
      );
    target = await PgDatabase.connect({
      url: to.url,
      passwordFile: to.passwordFile,
      max: 2,
      applicationName: "virtfleet-migrate-store",
    });
    await applyPgMigrations(target, CONTROLLER_MIGRATIONS);
    const tables = tableOrder(source);
    for (const table of tables) {
      const row = await target.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
      if ((row?.n ?? 0) > 0)
        throw new MigrateStoreError(
          `the PostgreSQL database at ${target.target} already holds rows (${table}: ${row?.n}): migrate into an empty database`,
        );
    }
    const src = source;
    const copied = await target.transaction(async (tx) => {
      const out: { table: string; rows: number }[] = [];
      for (const table of tables) {
        const columns = (src.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
        const quoted = columns.map((c) => `"${c}"`).join(", ");
        const order = table === "rollouts" ? " ORDER BY rowid" : "";
        let batch: unknown[][] = [];
        let rows = 0;
        const flush = async (): Promise<void> => {
          if (batch.length === 0) return;
          const row = `(${columns.map(() => "?").join(", ")})`;
          const values = batch.map(() => row).join(", ");
          await tx.run(`INSERT INTO ${table} (${quoted}) VALUES ${values}`, batch.flat() as SqlValue[]);
          rows += batch.length;
          batch = [];
        };
        for (const r of src.prepare(`SELECT ${quoted} FROM ${table}${order}`).raw(true).iterate() as Iterable<
          unknown[]
        >) {
          batch.push(r);
          if (batch.length >= BATCH_ROWS) await flush();
        }
        await flush();
        const expected = (src.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
        const got = (await tx.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n ?? 0;
        if (got !== expected || rows !== expected)
          throw new MigrateStoreError(
            `${table}: ${expected} rows in the source, ${got} in the target after the copy: nothing committed`,
          );
        progress?.(table, rows);
        out.push({ table, rows });
      }
      // Identity columns were given explicit ids: move their sequences past them.
      const identities = await tx.all<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns
          WHERE table_schema = current_schema() AND is_identity = 'YES' AND identity_generation = 'BY DEFAULT'`,
      );
      for (const { table_name, column_name } of identities)
        await tx.exec(
          `SELECT setval(pg_get_serial_sequence('${table_name}', '${column_name}'), COALESCE((SELECT MAX("${column_name}") FROM ${table_name}), 0) + 1, false)`,
        );
      return out;
    });
    return { tables: copied, schemaVersion: CONTROLLER_MIGRATIONS.length };
  } finally {
    source?.close();
    await target?.close();
    lock.release();
  }
}

/** The store's tables, `hosts` first (the others reference it), then by name. */
function tableOrder(db: Database.Database): string[] {
  const names = (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all() as {
      name: string;
    }[]
  ).map((r) => r.name);
  return [...FIRST.filter((t) => names.includes(t)), ...names.filter((t) => !FIRST.includes(t))];
}
