import type { Migration } from "../../../common/index.js";

/**
 * What agents report: convergence runs and per-resource outcomes (latest per resource, with
 * the event_seq of the report that set it), the policy revisions each host last converged
 * (known when its report names the bundle the controller holds for it), drift events
 * (latest state per id; each (host, event_seq) stored once), scheduled compliance
 * snapshots, and webhook delivery state (delivered, or abandoned after the retry budget).
 */
export const M003_COMPLIANCE: Migration = {
  version: 3,
  name: "reports, drift events, compliance snapshots, alert deliveries",
  sql: `
    ALTER TABLE hosts ADD COLUMN last_event_seq INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE hosts ADD COLUMN observed_generation INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE hosts ADD COLUMN observed_revision TEXT NOT NULL DEFAULT '';
    ALTER TABLE hosts ADD COLUMN last_report_at INTEGER;
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
    CREATE TABLE compliance_snapshots (
      id          INTEGER PRIMARY KEY,
      taken_at    INTEGER NOT NULL,
      report_json TEXT NOT NULL
    );
    CREATE INDEX compliance_snapshots_by_time ON compliance_snapshots(taken_at);
    CREATE TABLE alert_deliveries (
      id           INTEGER PRIMARY KEY,
      url          TEXT NOT NULL,
      payload_json TEXT NOT NULL,
      created_at   INTEGER NOT NULL,
      attempts     INTEGER NOT NULL DEFAULT 0,
      next_at      INTEGER NOT NULL,
      delivered_at INTEGER,
      abandoned_at INTEGER,
      last_attempt_at INTEGER,
      last_error   TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX alert_deliveries_due ON alert_deliveries(next_at) WHERE delivered_at IS NULL AND abandoned_at IS NULL;
  `,
};
