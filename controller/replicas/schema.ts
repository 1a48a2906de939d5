/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version, for each engine. Append only.
 *
 * - 10: `controller_leader`, one row per elected duty (today only 'leader'): the fencing
 *   epoch, bumped by every replica that wins the election, and who holds it since when (the
 *   database's clock). A single SQLite controller never writes it.
 */
export const REPLICAS_SCHEMA = {
  10: `
    CREATE TABLE controller_leader (
      duty    TEXT PRIMARY KEY,
      epoch   INTEGER NOT NULL,
      holder  TEXT NOT NULL,
      since   INTEGER NOT NULL
    );
  `,
} as const;

export const REPLICAS_SCHEMA_PG = {
  10: `
    CREATE TABLE controller_leader (
      duty    TEXT PRIMARY KEY,
      epoch   BIGINT NOT NULL,
      holder  TEXT NOT NULL,
      since   BIGINT NOT NULL
    );
  `,
} as const;
