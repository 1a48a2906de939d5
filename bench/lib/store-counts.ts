import { join } from "node:path";
import Database from "better-sqlite3";
import { CONTROLLER_DB_FILE } from "../../controller/database/index.js";
import { pgQuery } from "./bench-postgres.js";

/**
 * Counts a benchmark reads from a controller's store while it runs (second connection: WAL
 * lets a SQLite reader in; PostgreSQL any time), to check its work: hosts reported, drift rows
 * stored (and how many distinct ids: a doubled event shows as rows > distinct).
 */
export interface StoreCounts {
  /** Hosts the controller stored a Report of. */
  reportedHosts(): Promise<number>;
  drift(): Promise<{ rows: number; distinct: number }>;
  /** Size of the store on disk, bytes (SQLite: the database file and its WAL; PostgreSQL: pg_database_size). */
  bytes(): Promise<number>;
}

const SQL = {
  reported: "SELECT COUNT(*) AS n FROM hosts WHERE last_report_at IS NOT NULL",
  drift: "SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM drift_events",
};

/** The SQLite store DATA/controller.db of `dataDir` (read-only connection per count). */
export function sqliteCounts(dataDir: string): StoreCounts {
  const file = join(dataDir, CONTROLLER_DB_FILE);
  const get = <R>(sql: string): R => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare(sql).get() as R;
    } finally {
      db.close();
    }
  };
  return {
    reportedHosts: async () => get<{ n: number }>(SQL.reported).n,
    drift: async () => {
      const r = get<{ n: number; d: number }>(SQL.drift);
      return { rows: r.n, distinct: r.d };
    },
    bytes: async () => {
      const r = get<{ n: number }>("SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()");
      return r.n;
    },
  };
}

/** The PostgreSQL store at `url` (the replicas' database). */
export function postgresCounts(url: string): StoreCounts {
  return {
    reportedHosts: async () => Number((await pgQuery<{ n: string }>(url, SQL.reported))[0]!.n),
    drift: async () => {
      const r = (await pgQuery<{ n: string; d: string }>(url, SQL.drift))[0]!;
      return { rows: Number(r.n), distinct: Number(r.d) };
    },
    bytes: async () =>
      Number((await pgQuery<{ n: string }>(url, "SELECT pg_database_size(current_database()) AS n"))[0]!.n),
  };
}
