import type { Migration } from "../../common/sqlite/migrate.js";

/** The agent's schema. Append only. */
export const AGENT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "link sequence numbers",
    sql: `CREATE TABLE link_state (
            id                  INTEGER PRIMARY KEY CHECK (id = 1),
            last_agent_seq      INTEGER NOT NULL,
            last_controller_seq INTEGER NOT NULL
          );
          INSERT INTO link_state (id, last_agent_seq, last_controller_seq) VALUES (1, 0, 0);`,
  },
  {
    version: 2,
    name: "bundle cache, event outbox, enforcement state",
    sql: `CREATE TABLE bundle_cache (
            id          INTEGER PRIMARY KEY CHECK (id = 1),
            revision    TEXT NOT NULL,
            generation  INTEGER NOT NULL,
            bundle_json TEXT NOT NULL,
            saved_at    INTEGER NOT NULL
          );
          CREATE TABLE outbox (
            event_seq    INTEGER PRIMARY KEY,
            type         TEXT NOT NULL CHECK (type IN ('report', 'drift')),
            payload_json TEXT NOT NULL,
            bytes        INTEGER NOT NULL,
            created_at   INTEGER NOT NULL,
            drift_id     TEXT,
            resolved     INTEGER NOT NULL DEFAULT 0
          );
          CREATE INDEX outbox_drift_id ON outbox (drift_id) WHERE drift_id IS NOT NULL;
          CREATE TABLE outbox_state (
            id             INTEGER PRIMARY KEY CHECK (id = 1),
            last_event_seq INTEGER NOT NULL,
            compacted      INTEGER NOT NULL
          );
          INSERT INTO outbox_state (id, last_event_seq, compacted) VALUES (1, 0, 0);
          CREATE TABLE enforce_state (
            key        TEXT PRIMARY KEY,
            value_json TEXT NOT NULL
          );`,
  },
  {
    version: 3,
    name: "ownership of networks, pools and volumes (libvirt keeps no metadata for them)",
    sql: `CREATE TABLE ownership (
            kind         TEXT NOT NULL CHECK (kind IN ('domain', 'network', 'pool', 'volume')),
            name         TEXT NOT NULL,
            identity     TEXT,
            policy       TEXT NOT NULL,
            revision     TEXT NOT NULL,
            adopted      INTEGER NOT NULL,
            replaced_xml TEXT,
            recorded_at  INTEGER NOT NULL,
            PRIMARY KEY (kind, name)
          );
          CREATE TABLE ownership_state (
            id     INTEGER PRIMARY KEY CHECK (id = 1),
            seeded INTEGER NOT NULL
          );
          INSERT INTO ownership_state (id, seeded) VALUES (1, 0);`,
  },
];
