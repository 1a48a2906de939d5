import { queryableOf, type Queryable, type SqliteDatabase } from "../../common/index.js";

/** How long history is kept. Current state (latest outcome per resource, open drift) is never pruned. */
export interface RetentionOptions {
  /** Convergence reports older than this are deleted, except each host's newest. */
  reportsMs: number;
  /** Resolved drift events whose resolution is older than this are deleted. */
  resolvedDriftMs: number;
}

export const DEFAULT_RETENTION: RetentionOptions = {
  reportsMs: 7 * 24 * 3_600_000,
  resolvedDriftMs: 90 * 24 * 3_600_000,
};

/** The statements, one text for both engines (common/sql's dialect). */
const SQL = {
  reports: `DELETE FROM reports WHERE received_at < ?
     AND event_seq < (SELECT MAX(r2.event_seq) FROM reports r2 WHERE r2.host = reports.host)`,
  drift: "DELETE FROM drift_events WHERE resolved_at IS NOT NULL AND resolved_at < ?",
};

/**
 * Deletes history past its retention in one transaction; returns what was removed. Each
 * DELETE carries its whole condition (no read first), so concurrent ingest on PostgreSQL
 * cannot make it remove a host's newest report or an open drift event.
 */
export function pruneHistory(
  handle: SqliteDatabase | Queryable,
  now: number,
  o: RetentionOptions = DEFAULT_RETENTION,
): Promise<{ reports: number; drift: number }> {
  return queryableOf(handle).transaction(async (tx) => {
    const reports = (await tx.run(SQL.reports, [now - o.reportsMs])).changes;
    const drift = (await tx.run(SQL.drift, [now - o.resolvedDriftMs])).changes;
    return { reports, drift };
  });
}
