import { randomBytes } from "node:crypto";
import { userInfo } from "node:os";
import pg from "pg";
import {
  AsyncDatabase,
  applyMigrations,
  type Engine,
  type Migration,
  type Queryable,
  type SqliteDatabase,
} from "../../common/index.js";
import { applyPgMigrations, PgDatabase } from "../../common/postgres/index.js";
import { CONTROLLER_MIGRATIONS } from "../../controller/database/index.js";
import Database from "better-sqlite3";

/** Both engines, for `describe.each(ENGINES)`: every store test runs on each. */
export const ENGINES: readonly Engine[] = ["sqlite", "postgres"];

/**
 * The PostgreSQL cluster tests create their databases in: VIRTFLEET_TEST_PG (a URL of a role
 * allowed to CREATE DATABASE), by default the local cluster's unix socket as the current user
 * (.ci/run starts the cluster and makes root a superuser role).
 */
export function testPostgresAdminUrl(): string {
  return (
    process.env.VIRTFLEET_TEST_PG ??
    `postgres://${encodeURIComponent(userInfo().username)}@localhost/postgres?host=/var/run/postgresql`
  );
}

/** `admin` with its database replaced by `database`. */
export function withDatabase(admin: string, database: string): string {
  const u = new URL(admin);
  u.pathname = `/${database}`;
  return u.href;
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database (and ends whatever is still connected to it). */
  drop(): Promise<void>;
}

/**
 * A new empty database with a unique `vft_` name on the test cluster (or the server `admin`
 * names, e.g. a PrivatePostgres's). A cluster that cannot
 * be reached fails the test with what to do (PostgreSQL is part of the test set-up, never
 * skipped).
 */
export async function createTestDatabase(prefix = "vft", admin = testPostgresAdminUrl()): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
  await adminQuery(admin, `CREATE DATABASE ${name}`);
  return {
    name,
    url: withDatabase(admin, name),
    drop: () => adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(admin: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: admin });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `the test PostgreSQL (${admin}) is unreachable (${(err as Error).message}): run .ci/run once, or 'pg_ctlcluster 15 main start', or set VIRTFLEET_TEST_PG`,
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A migrated store on one engine, for owner tests. */
export interface TestStore {
  engine: Engine;
  db: Queryable;
  /** The SQLite connection (sqlite only): for fixtures that prepare statements directly. */
  sqlite?: SqliteDatabase;
  /** The PostgreSQL database (postgres only). */
  postgres?: TestDatabase & { handle: PgDatabase };
  close(): Promise<void>;
}

/** An empty store with `migrations` applied: SQLite in memory, or a new PostgreSQL database. */
export async function openTestStore(
  engine: Engine,
  migrations: readonly Migration[] = CONTROLLER_MIGRATIONS,
): Promise<TestStore> {
  if (engine === "sqlite") {
    const sqlite = new Database(":memory:");
    sqlite.pragma("foreign_keys = ON");
    applyMigrations(sqlite, migrations);
    const db = AsyncDatabase.of(sqlite);
    return { engine, db, sqlite, close: () => db.close() };
  }
  const database = await createTestDatabase();
  let handle: PgDatabase | undefined;
  try {
    handle = await PgDatabase.connect({ url: database.url, max: 4 });
    await applyPgMigrations(handle, migrations);
  } catch (err) {
    await handle?.close();
    await database.drop();
    throw err;
  }
  const h = handle;
  return {
    engine,
    db: h,
    postgres: { ...database, handle: h },
    close: async () => {
      await h.close();
      await database.drop();
    },
  };
}
