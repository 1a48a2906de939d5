import type { Migration } from "../../../common/index.js";

export const M001_HOSTS: Migration = {
  version: 1,
  name: "hosts and fact history",
  sql: `
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
};
