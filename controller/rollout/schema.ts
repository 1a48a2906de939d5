/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version. Append only: a released step never changes (existing databases applied it).
 *
 * - 4: staged rollouts. `state_json` is the whole Rollout as JSON, the source of truth a
 *   restarted controller resumes from; the other columns copy fields of it for queries.
 *   `active` = 1 while the rollout can still change what hosts hold; at most one active
 *   rollout per policy. Finished rollouts are kept as history.
 */
export const ROLLOUTS_SCHEMA = {
  4: `
    CREATE TABLE rollouts (
      id            TEXT PRIMARY KEY,
      policy        TEXT NOT NULL,
      from_revision TEXT,
      to_revision   TEXT NOT NULL,
      state         TEXT NOT NULL,
      active        INTEGER NOT NULL,
      created_at    INTEGER NOT NULL,
      updated_at    INTEGER NOT NULL,
      finished_at   INTEGER,
      state_json    TEXT NOT NULL
    );
    CREATE INDEX rollouts_by_policy ON rollouts (policy, created_at);
    CREATE UNIQUE INDEX rollouts_one_active ON rollouts (policy) WHERE active = 1;
  `,
} as const;

/**
 * The same steps for PostgreSQL (common/sql's dialect notes): 64-bit integers are BIGINT,
 * an INTEGER PRIMARY KEY is an identity column. Append only, like the SQLite text.
 */
export const ROLLOUTS_SCHEMA_PG = {
  4: `
    CREATE TABLE rollouts (
      id            TEXT PRIMARY KEY,
      policy        TEXT NOT NULL,
      from_revision TEXT,
      to_revision   TEXT NOT NULL,
      state         TEXT NOT NULL,
      active        BIGINT NOT NULL,
      created_at    BIGINT NOT NULL,
      updated_at    BIGINT NOT NULL,
      finished_at   BIGINT,
      state_json    TEXT NOT NULL,
      rowid         BIGINT GENERATED ALWAYS AS IDENTITY
    );
    CREATE INDEX rollouts_by_policy ON rollouts (policy, created_at);
    CREATE UNIQUE INDEX rollouts_one_active ON rollouts (policy) WHERE active = 1;
  `,
} as const;
