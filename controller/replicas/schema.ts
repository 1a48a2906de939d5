/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version, for each engine. Append only.
 *
 * - 10: `controller_leader`, one row per elected duty (today only 'leader'): the fencing
 *   epoch, bumped by every replica that wins the election, and who holds it since when (the
 *   database's clock). A single SQLite controller never writes it.
 * - 11: `controller_replicas`, one row per controller replica that ever started on the store:
 *   the address agents and the CLI reach it at, its dashboard, its version, and when it was
 *   last seen alive (the database's clock; the leader marks the hosts of a replica not seen
 *   for long disconnected).
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
  11: `
    CREATE TABLE controller_replicas (
      name        TEXT PRIMARY KEY,
      address     TEXT NOT NULL,
      web_url     TEXT NOT NULL DEFAULT '',
      version     TEXT NOT NULL,
      started_at  INTEGER NOT NULL,
      last_seen   INTEGER NOT NULL
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
  11: `
    CREATE TABLE controller_replicas (
      name        TEXT PRIMARY KEY,
      address     TEXT NOT NULL,
      web_url     TEXT NOT NULL DEFAULT '',
      version     TEXT NOT NULL,
      started_at  BIGINT NOT NULL,
      last_seen   BIGINT NOT NULL
    );
  `,
} as const;
