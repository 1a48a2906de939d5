/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version. Append only: a released step never changes (existing databases applied it).
 *
 * - 3: compliance_snapshots, the compliance document taken on a schedule.
 * - 9: compliance_snapshot_fleet, each snapshot's fleet figures in columns of their own, so
 *   the dashboard's trend reads a few bytes per snapshot instead of parsing its document
 *   (~6 MB at 10,000 hosts: 168 snapshots took ~330 ms, bench/compliance-page.ts). Existing
 *   snapshots are backfilled once, by this step (each document parsed once); snapshots whose
 *   document has no numeric fleet percentage get no row (the trend left them out already).
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
  9: `
    CREATE TABLE compliance_snapshot_fleet (
      snapshot_id INTEGER PRIMARY KEY,
      taken_at    INTEGER NOT NULL,
      hosts       INTEGER NOT NULL,
      compliant   INTEGER NOT NULL,
      percent     REAL NOT NULL
    );
    CREATE INDEX compliance_snapshot_fleet_by_time ON compliance_snapshot_fleet(taken_at);
    INSERT INTO compliance_snapshot_fleet (snapshot_id, taken_at, hosts, compliant, percent)
      SELECT id, taken_at, COALESCE(hosts, 0), COALESCE(compliant, 0), percent
        FROM (SELECT id, taken_at,
                     json_extract(report_json, '$.fleet.hosts') AS hosts,
                     json_extract(report_json, '$.fleet.compliant') AS compliant,
                     json_extract(report_json, '$.fleet.percent') AS percent
                FROM compliance_snapshots
               WHERE json_valid(report_json))
       WHERE typeof(percent) IN ('integer', 'real');
  `,
} as const;
