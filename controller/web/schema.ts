/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version. Append only: a released step never changes (existing databases applied it).
 *
 * - 8: the dashboard's sign-in links and sessions. Only sha256 of a link's token
 *   (`token_hash`) and of a session's cookie secret (`secret_hash`) is stored: a copy of the
 *   database signs nobody in. Times in ms since the epoch. A link is spent when `used_at` is set.
 */
export const WEB_SCHEMA = {
  8: `
    CREATE TABLE web_signins (
      token_hash TEXT PRIMARY KEY,
      user       TEXT NOT NULL,
      role       TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      used_at    INTEGER
    );
    CREATE TABLE web_sessions (
      secret_hash TEXT PRIMARY KEY,
      user        TEXT NOT NULL,
      role        TEXT NOT NULL,
      created_at  INTEGER NOT NULL,
      last_seen   INTEGER NOT NULL,
      expires_at  INTEGER NOT NULL
    );
    CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
  `,
} as const;

/**
 * The same steps for PostgreSQL (common/sql's dialect notes): 64-bit integers are BIGINT,
 * an INTEGER PRIMARY KEY is an identity column. Append only, like the SQLite text.
 */
export const WEB_SCHEMA_PG = {
  8: `
    CREATE TABLE web_signins (
      token_hash TEXT PRIMARY KEY,
      "user"     TEXT NOT NULL,
      role       TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      used_at    BIGINT
    );
    CREATE TABLE web_sessions (
      secret_hash TEXT PRIMARY KEY,
      "user"      TEXT NOT NULL,
      role        TEXT NOT NULL,
      created_at  BIGINT NOT NULL,
      last_seen   BIGINT NOT NULL,
      expires_at  BIGINT NOT NULL
    );
    CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
  `,
} as const;
