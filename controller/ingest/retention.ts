import { AsyncDatabase, type SqliteDatabase } from "../../common/index.js";

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

/** Deletes history past its retention in one transaction; returns what was removed. */
export function pruneHistory(
  handle: SqliteDatabase | AsyncDatabase,
  now: number,
  o: RetentionOptions = DEFAULT_RETENTION,
): Promise<{ reports: number; drift: number }> {
  const db = AsyncDatabase.of(handle).connection;
  return AsyncDatabase.of(handle).transaction(() => {
    const reports = db
      .prepare(
        `DELETE FROM reports WHERE received_at < ?
           AND event_seq < (SELECT MAX(r2.event_seq) FROM reports r2 WHERE r2.host = reports.host)`,
      )
      .run(now - o.reportsMs).changes;
    const drift = db
      .prepare("DELETE FROM drift_events WHERE resolved_at IS NOT NULL AND resolved_at < ?")
      .run(now - o.resolvedDriftMs).changes;
    return { reports, drift };
  });
}
