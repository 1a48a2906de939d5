/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version. Append only: a released step never changes (existing databases applied it).
 *
 * - 1: `hosts`, one row per host that ever said Hello, and `fact_history`, its facts as they
 *   changed (the newest FACT_HISTORY_KEEP per host).
 * - 3: the columns of `hosts` that what agents report sets (controller/ingest writes them
 *   through HostObservations): the highest event_seq stored, the bundle generation and
 *   revision the host last reported converging, and when it last reported.
 */
export const HOSTS_SCHEMA = {
  1: `
    CREATE TABLE hosts (
      name                TEXT PRIMARY KEY,
      first_seen          INTEGER NOT NULL,
      last_seen           INTEGER NOT NULL,
      connected           INTEGER NOT NULL DEFAULT 0,
      connected_since     INTEGER,
      agent_version       TEXT NOT NULL DEFAULT '',
      facts_json          TEXT NOT NULL DEFAULT '{}',
      facts_fingerprint   TEXT NOT NULL DEFAULT '',
      session_id          TEXT NOT NULL DEFAULT '',
      peer                TEXT NOT NULL DEFAULT '',
      disconnect_reason   TEXT NOT NULL DEFAULT '',
      last_agent_seq      INTEGER NOT NULL DEFAULT 0,
      last_controller_seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE fact_history (
      id                INTEGER PRIMARY KEY,
      host              TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
      changed_at        INTEGER NOT NULL,
      facts_fingerprint TEXT NOT NULL,
      changed_sections  TEXT NOT NULL,
      facts_json        TEXT NOT NULL
    );
    CREATE INDEX fact_history_by_host ON fact_history(host, id DESC);
  `,
  3: `
    ALTER TABLE hosts ADD COLUMN last_event_seq INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE hosts ADD COLUMN observed_generation INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE hosts ADD COLUMN observed_revision TEXT NOT NULL DEFAULT '';
    ALTER TABLE hosts ADD COLUMN last_report_at INTEGER;
  `,
} as const;
