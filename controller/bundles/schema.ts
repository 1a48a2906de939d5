/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version. Append only: a released step never changes (existing databases applied it).
 *
 * - 2: host_bundles, what each host was last sent: the host's current bundle; `errors_json`
 *   lists (as strings) the policies left out of it for that host (resolution errors,
 *   unsettled conflicts).
 */
export const BUNDLES_SCHEMA = {
  2: `
    CREATE TABLE host_bundles (
      host        TEXT PRIMARY KEY REFERENCES hosts(name) ON DELETE CASCADE,
      revision    TEXT NOT NULL,
      generation  INTEGER NOT NULL,
      bundle_json TEXT NOT NULL,
      sent_at     INTEGER,
      errors_json TEXT NOT NULL DEFAULT '[]',
      computed_at INTEGER NOT NULL DEFAULT 0
    );
  `,
} as const;

/**
 * The same steps for PostgreSQL (common/sql's dialect notes): 64-bit integers are BIGINT,
 * an INTEGER PRIMARY KEY is an identity column. Append only, like the SQLite text.
 */
export const BUNDLES_SCHEMA_PG = {
  2: `
    CREATE TABLE host_bundles (
      host        TEXT PRIMARY KEY REFERENCES hosts(name) ON DELETE CASCADE,
      revision    TEXT NOT NULL,
      generation  BIGINT NOT NULL,
      bundle_json TEXT NOT NULL,
      sent_at     BIGINT,
      errors_json TEXT NOT NULL DEFAULT '[]',
      computed_at BIGINT NOT NULL DEFAULT 0
    );
  `,
} as const;
