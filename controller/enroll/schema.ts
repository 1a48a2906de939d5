/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version. Append only: a released step never changes (existing databases applied it).
 *
 * - 5: `enrol_tokens`: one row per `token create`; only sha256 of the secret is stored
 *   (`secret_hash`), `uses_left` counts down to 0, `host`/`pattern` bind it ("" = any host).
 *   Times in ms since epoch.
 */
export const ENROLL_SCHEMA = {
  5: `
    CREATE TABLE enrol_tokens (
      secret_hash TEXT PRIMARY KEY,
      host        TEXT NOT NULL,
      pattern     TEXT NOT NULL,
      uses        INTEGER NOT NULL,
      uses_left   INTEGER NOT NULL,
      created_at  INTEGER NOT NULL,
      expires_at  INTEGER NOT NULL,
      created_by  TEXT NOT NULL
    );
    CREATE INDEX enrol_tokens_by_expiry ON enrol_tokens (expires_at);
  `,
} as const;

/**
 * The same steps for PostgreSQL (common/sql's dialect notes): 64-bit integers are BIGINT,
 * an INTEGER PRIMARY KEY is an identity column. Append only, like the SQLite text.
 */
export const ENROLL_SCHEMA_PG = {
  5: `
    CREATE TABLE enrol_tokens (
      secret_hash TEXT PRIMARY KEY,
      host        TEXT NOT NULL,
      pattern     TEXT NOT NULL,
      uses        BIGINT NOT NULL,
      uses_left   BIGINT NOT NULL,
      created_at  BIGINT NOT NULL,
      expires_at  BIGINT NOT NULL,
      created_by  TEXT NOT NULL
    );
    CREATE INDEX enrol_tokens_by_expiry ON enrol_tokens (expires_at);
  `,
} as const;
