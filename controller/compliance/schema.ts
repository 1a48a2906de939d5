/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version. Append only: a released step never changes (existing databases applied it).
 *
 * - 3: compliance_snapshots, the compliance document taken on a schedule.
 */
export const COMPLIANCE_SCHEMA = {
  3: `
    CREATE TABLE compliance_snapshots (
      id          INTEGER PRIMARY KEY,
      taken_at    INTEGER NOT NULL,
      report_json TEXT NOT NULL
    );
    CREATE INDEX compliance_snapshots_by_time ON compliance_snapshots(taken_at);
  `,
} as const;
