/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version. Append only: a released step never changes (existing databases applied it).
 *
 * - 3: alert_deliveries, webhook delivery state (delivered, or abandoned after the retry budget).
 */
export const ALERTS_SCHEMA = {
  3: `
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
} as const;
