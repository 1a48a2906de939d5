import { userInfo } from "node:os";
import pg from "pg";

/**
 * The PostgreSQL server benchmarks create their databases on: VIRTFLEET_BENCH_PG (a URL of a
 * role allowed to CREATE DATABASE, no password in it), by default the local cluster's unix
 * socket as the current user (as the tests' cluster: `pg_ctlcluster 15 main start`).
 */
export function benchPostgresAdminUrl(): string {
  return (
    process.env.VIRTFLEET_BENCH_PG ??
    `postgres://${encodeURIComponent(userInfo().username)}@localhost/postgres?host=/var/run/postgresql`
  );
}

export interface BenchDatabase {
  name: string;
  url: string;
  /** Drops the database (ending whatever is still connected to it). */
  drop(): Promise<void>;
}

/** A new empty database `name` (letters, digits, _) on `admin`'s server; dropped first if a crashed run left it. */
export async function createBenchDatabase(name: string, admin = benchPostgresAdminUrl()): Promise<BenchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  await adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminQuery(admin, `CREATE DATABASE ${name}`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return { name, url: u.href, drop: () => adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** One statement on a short-lived connection of `url`; its rows. */
export async function pgQuery<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, application_name: "virtfleet-bench" });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL (${new URL(url).pathname}) is unreachable: ${(err as Error).message} (start it: 'pg_ctlcluster 15 main start', or set VIRTFLEET_BENCH_PG)`,
    );
  }
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function adminQuery(admin: string, sql: string): Promise<void> {
  await pgQuery(admin, sql);
}

/** Connections to `url`'s database now, by application_name (the benchmark's own excluded). */
export async function pgConnections(url: string): Promise<Record<string, number>> {
  const rows = await pgQuery<{ app: string; n: string }>(
    url,
    "SELECT application_name AS app, COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name <> 'virtfleet-bench' GROUP BY 1 ORDER BY 1",
  );
  return Object.fromEntries(rows.map((r) => [r.app, Number(r.n)]));
}

/** The largest tables of `url`'s database with their indexes and TOAST, bytes (first `limit`). */
export async function pgTableBytes(url: string, limit = 8): Promise<Record<string, number>> {
  const rows = await pgQuery<{ t: string; n: string }>(
    url,
    `SELECT c.relname AS t, pg_total_relation_size(c.oid) AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
     WHERE c.relkind = 'r' AND s.nspname = current_schema() ORDER BY 2 DESC LIMIT ${Math.trunc(limit)}`,
  );
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}

/**
 * Write counters of `url`'s database (pg_stat_database: commits, rows inserted and updated) and
 * of the whole server (pg_stat_wal: WAL bytes; other databases' writes count too). PostgreSQL
 * publishes a backend's counters within about a second of its transactions.
 */
export async function pgWriteCounters(url: string): Promise<Record<string, number>> {
  const [db] = await pgQuery<{ commits: string; inserted: string; updated: string }>(
    url,
    "SELECT xact_commit AS commits, tup_inserted AS inserted, tup_updated AS updated FROM pg_stat_database WHERE datname = current_database()",
  );
  const [wal] = await pgQuery<{ bytes: string }>(url, "SELECT wal_bytes AS bytes FROM pg_stat_wal");
  return {
    commits: Number(db!.commits),
    rowsInserted: Number(db!.inserted),
    rowsUpdated: Number(db!.updated),
    serverWalBytes: Number(wal!.bytes),
  };
}
