import { stat } from "node:fs/promises";
import { databaseFiles, sqlFor, type Queryable } from "../../common/index.js";

/** The `file` label values of virtfleet_store_size_bytes. */
export const STORE_FILE_LABELS = ["database", "wal", "shm"] as const;
export type StoreFileLabel = (typeof STORE_FILE_LABELS)[number];

/**
 * Where the controller's store is, for its size: the SQLite database file (its -wal and -shm
 * are measured too), or a PostgreSQL database (what the server reports for it).
 */
export type StoreLocation = { file: string } | { database: Queryable };

/**
 * The store's size in bytes by file label. SQLite: the database, -wal and -shm files (a file
 * that does not exist right now is 0). PostgreSQL: `database` only, pg_database_size of the
 * database the pool is connected to (tables, indexes and TOAST; the server's WAL is shared by
 * every database of the cluster and not counted). A SQLite Queryable without a file path: the
 * database's pages (page_count × page_size). Rejects when a file cannot be read or the query fails.
 */
export async function storeSizes(store: StoreLocation): Promise<Partial<Record<StoreFileLabel, number>>> {
  if ("database" in store) {
    const db = store.database;
    const row = await db.get<{ bytes: number }>(
      sqlFor(db, {
        postgres: "SELECT pg_database_size(current_database()) AS bytes",
        sqlite: "SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()",
      }),
    );
    return { database: Number(row?.bytes ?? 0) };
  }
  const sizes = await Promise.all(
    databaseFiles(store.file).map((f) =>
      stat(f).then(
        (s) => s.size,
        (err: NodeJS.ErrnoException) => {
          if (err.code === "ENOENT") return 0; // no -wal/-shm right now
          throw err;
        },
      ),
    ),
  );
  return Object.fromEntries(STORE_FILE_LABELS.map((label, i) => [label, sizes[i] ?? 0]));
}
