/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version, for each engine. Append only: a released step never changes.
 *
 * - 13 (expand): `plan_requests`, a dry-run asked on one controller replica of a host whose
 *   stream another replica holds (PlanRouter). The asking replica (`requested_by`) inserts the
 *   row with the bundle to dry-run and its `deadline`; the replica holding the stream writes
 *   `answer_json` (a PlanAnswer) and `answered_at`; the asking replica deletes the row once it
 *   read it. Rows left behind (a replica died) are deleted past their deadline. Times in ms on
 *   the database's clock. A single SQLite controller never writes it.
 */
export const PLANS_SCHEMA = {
  13: `
    CREATE TABLE plan_requests (
      id           TEXT PRIMARY KEY,
      host         TEXT NOT NULL,
      bundle_json  TEXT NOT NULL,
      requested_by TEXT NOT NULL,
      deadline     INTEGER NOT NULL,
      answer_json  TEXT,
      answered_at  INTEGER,
      created_at   INTEGER NOT NULL
    );
    CREATE INDEX plan_requests_by_deadline ON plan_requests (deadline);
  `,
} as const;

/** The same steps for PostgreSQL (64-bit integers are BIGINT). Append only. */
export const PLANS_SCHEMA_PG = {
  13: `
    CREATE TABLE plan_requests (
      id           TEXT PRIMARY KEY,
      host         TEXT NOT NULL,
      bundle_json  TEXT NOT NULL,
      requested_by TEXT NOT NULL,
      deadline     BIGINT NOT NULL,
      answer_json  TEXT,
      answered_at  BIGINT,
      created_at   BIGINT NOT NULL
    );
    CREATE INDEX plan_requests_by_deadline ON plan_requests (deadline);
  `,
} as const;
