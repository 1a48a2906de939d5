/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version. Append only: a released step never changes (existing databases applied it).
 *
 * - 3: what agents report: convergence runs (`reports`) and per-resource outcomes
 *   (`resource_status`: latest per resource, with the event_seq of the report that set it),
 *   the policy revisions each host last converged (`host_observed_policies`: known when its
 *   report names the bundle the controller holds for it), and drift events (`drift_events`:
 *   latest state per id; each (host, event_seq) stored once).
 * - 12: `drift_events` by (received_at, host, event_seq): a replica's resync after a lost
 *   signal connection reads the rows stored since a time in that order (an expand step).
 */
export const INGEST_SCHEMA = {
  3: `
    CREATE TABLE reports (
      host          TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
      event_seq     INTEGER NOT NULL,
      generation    INTEGER NOT NULL,
      revision      TEXT NOT NULL,
      trigger_kind  TEXT NOT NULL,
      started_at    INTEGER NOT NULL,
      duration_ms   INTEGER NOT NULL,
      dry_run       INTEGER NOT NULL,
      summary_json  TEXT NOT NULL,
      received_at   INTEGER NOT NULL,
      PRIMARY KEY (host, event_seq)
    );
    CREATE TABLE resource_status (
      host            TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
      policy          TEXT NOT NULL,
      kind            TEXT NOT NULL,
      name            TEXT NOT NULL,
      outcome         TEXT NOT NULL,
      changes_json    TEXT NOT NULL,
      error           TEXT NOT NULL,
      pending_restart INTEGER NOT NULL,
      generation      INTEGER NOT NULL,
      event_seq       INTEGER NOT NULL,
      updated_at      INTEGER NOT NULL,
      PRIMARY KEY (host, kind, name)
    );
    CREATE TABLE host_observed_policies (
      host        TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
      policy      TEXT NOT NULL,
      revision    TEXT NOT NULL,
      generation  INTEGER NOT NULL,
      observed_at INTEGER NOT NULL,
      PRIMARY KEY (host, policy)
    );
    CREATE TABLE drift_events (
      id             TEXT PRIMARY KEY,
      host           TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
      event_seq      INTEGER NOT NULL,
      policy         TEXT NOT NULL,
      kind           TEXT NOT NULL,
      name           TEXT NOT NULL,
      fields_json    TEXT NOT NULL,
      detected_at    INTEGER NOT NULL,
      source         TEXT NOT NULL,
      remediation    TEXT NOT NULL,
      resolved_at    INTEGER,
      classification TEXT NOT NULL,
      detail         TEXT NOT NULL,
      received_at    INTEGER NOT NULL
    );
    CREATE INDEX drift_by_detected ON drift_events(detected_at);
    CREATE INDEX drift_by_host ON drift_events(host, detected_at);
    CREATE INDEX drift_open ON drift_events(host) WHERE resolved_at IS NULL;
  `,
  12: `
    CREATE INDEX drift_by_received ON drift_events(received_at, host, event_seq);
  `,
} as const;

/**
 * The same steps for PostgreSQL (common/sql's dialect notes): 64-bit integers are BIGINT,
 * an INTEGER PRIMARY KEY is an identity column. Append only, like the SQLite text.
 */
export const INGEST_SCHEMA_PG = {
  3: `
    CREATE TABLE reports (
      host          TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
      event_seq     BIGINT NOT NULL,
      generation    BIGINT NOT NULL,
      revision      TEXT NOT NULL,
      trigger_kind  TEXT NOT NULL,
      started_at    BIGINT NOT NULL,
      duration_ms   BIGINT NOT NULL,
      dry_run       BIGINT NOT NULL,
      summary_json  TEXT NOT NULL,
      received_at   BIGINT NOT NULL,
      PRIMARY KEY (host, event_seq)
    );
    CREATE TABLE resource_status (
      host            TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
      policy          TEXT NOT NULL,
      kind            TEXT NOT NULL,
      name            TEXT NOT NULL,
      outcome         TEXT NOT NULL,
      changes_json    TEXT NOT NULL,
      error           TEXT NOT NULL,
      pending_restart BIGINT NOT NULL,
      generation      BIGINT NOT NULL,
      event_seq       BIGINT NOT NULL,
      updated_at      BIGINT NOT NULL,
      PRIMARY KEY (host, kind, name)
    );
    CREATE TABLE host_observed_policies (
      host        TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
      policy      TEXT NOT NULL,
      revision    TEXT NOT NULL,
      generation  BIGINT NOT NULL,
      observed_at BIGINT NOT NULL,
      PRIMARY KEY (host, policy)
    );
    CREATE TABLE drift_events (
      id             TEXT PRIMARY KEY,
      host           TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
      event_seq      BIGINT NOT NULL,
      policy         TEXT NOT NULL,
      kind           TEXT NOT NULL,
      name           TEXT NOT NULL,
      fields_json    TEXT NOT NULL,
      detected_at    BIGINT NOT NULL,
      source         TEXT NOT NULL,
      remediation    TEXT NOT NULL,
      resolved_at    BIGINT,
      classification TEXT NOT NULL,
      detail         TEXT NOT NULL,
      received_at    BIGINT NOT NULL
    );
    CREATE INDEX drift_by_detected ON drift_events(detected_at);
    CREATE INDEX drift_by_host ON drift_events(host, detected_at);
    CREATE INDEX drift_open ON drift_events(host) WHERE resolved_at IS NULL;
  `,
  12: `
    CREATE INDEX drift_by_received ON drift_events(received_at, host, event_seq);
  `,
} as const;
