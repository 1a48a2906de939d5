import cron, { type ScheduledTask } from "node-cron";
import {
  describeError,
  OptionError,
  queryableOf,
  type Logger,
  type Queryable,
  type SqliteDatabase,
} from "../../common/index.js";

/** Default schedule of compliance snapshots: hourly, on the hour. */
export const DEFAULT_SNAPSHOT_CRON = "0 * * * *";
/** Snapshots kept; older ones are removed when a new one is taken (~90 days hourly). */
export const SNAPSHOTS_KEEP = 24 * 90;

export interface StoredSnapshot {
  takenAt: number;
  reportJson: string;
}

/** One point of the fleet compliance trend: a snapshot's `fleet` block. */
export interface FleetTrendPoint {
  takenAt: number;
  hosts: number;
  compliant: number;
  percent: number;
}

/** A snapshot's fleet figures (its document's `fleet` block), stored beside it for the trend. */
export type FleetFigures = Omit<FleetTrendPoint, "takenAt">;

/** The fleet block of a stored document, or undefined when it has no numeric percentage (the trend leaves it out). */
export function fleetOf(reportJson: string): FleetFigures | undefined {
  let fleet: { hosts?: unknown; compliant?: unknown; percent?: unknown } | undefined;
  try {
    fleet = (JSON.parse(reportJson) as { fleet?: typeof fleet }).fleet;
  } catch {
    return undefined;
  }
  if (typeof fleet?.percent !== "number") return undefined;
  return {
    hosts: typeof fleet.hosts === "number" ? fleet.hosts : 0,
    compliant: typeof fleet.compliant === "number" ? fleet.compliant : 0,
    percent: fleet.percent,
  };
}

/** Most points `trend` returns (a chart is a few hundred pixels wide). */
export const MAX_TREND_POINTS = 500;

/** Validates a cron expression for `option`; throws OptionError naming it. */
export function parseSnapshotCron(expr: string, option = "--compliance-snapshot"): string {
  const v = cron.validateDetailed(expr);
  if (!v.valid)
    throw new OptionError(
      option,
      `"${expr}" is not a cron expression (${v.errors.map((e) => `${e.field}: ${e.message}`).join("; ")})`,
    );
  return expr;
}

/** The statements, one text for both engines (common/sql's dialect). */
const SQL = {
  insert: "INSERT INTO compliance_snapshots (taken_at, report_json) VALUES (?, ?) RETURNING id",
  insertFleet:
    "INSERT INTO compliance_snapshot_fleet (snapshot_id, taken_at, hosts, compliant, percent) VALUES (?, ?, ?, ?, ?)",
  prune:
    "DELETE FROM compliance_snapshots WHERE id NOT IN (SELECT id FROM compliance_snapshots ORDER BY taken_at DESC, id DESC LIMIT ?)",
  pruneFleet: "DELETE FROM compliance_snapshot_fleet WHERE snapshot_id NOT IN (SELECT id FROM compliance_snapshots)",
  at: "SELECT taken_at, report_json FROM compliance_snapshots WHERE taken_at <= ? ORDER BY taken_at DESC, id DESC LIMIT 1",
  // Fleet figures of the snapshots in [from, to], thinned to about `points` evenly spaced by
  // rank (every k-th, the newest always kept): small rows of their own, no document parsed.
  // Integer division on both engines (BIGINT / BIGINT on PostgreSQL: @points is a bigint).
  trend: `SELECT taken_at, hosts, compliant, percent FROM (
       SELECT snapshot_id, taken_at, hosts, compliant, percent,
              ROW_NUMBER() OVER (ORDER BY taken_at DESC, snapshot_id DESC) - 1 AS n, COUNT(*) OVER () AS total
         FROM compliance_snapshot_fleet WHERE taken_at >= @from AND taken_at <= @to) ranked
      WHERE n % ((total + CAST(@points AS BIGINT) - 1) / CAST(@points AS BIGINT)) = 0
      ORDER BY taken_at, snapshot_id`,
};

/**
 * Compliance documents taken on a schedule (compliance_snapshots), for `compliance --at`, and
 * their fleet figures (compliance_snapshot_fleet, schema step 9: one row per snapshot, written
 * and pruned with it) for the trend. Snapshots are taken by one controller at a time (the
 * schedule is a singleton duty); `save` is one transaction either way, so a concurrent one
 * cannot leave a document without its figures.
 */
export class SnapshotStore {
  private readonly db: Queryable;

  constructor(
    handle: SqliteDatabase | Queryable,
    private readonly keep = SNAPSHOTS_KEEP,
  ) {
    this.db = queryableOf(handle);
  }

  /**
   * The fleet percentage over time: snapshots taken in [from, to] (ms), oldest first, at most
   * `points` of them (evenly thinned when more were taken; the newest is always included).
   * Snapshots whose document has no fleet block are left out.
   */
  async trend(
    from: number,
    to: number,
    points = MAX_TREND_POINTS,
    on: Queryable = this.db,
  ): Promise<FleetTrendPoint[]> {
    const cap = Math.max(1, Math.min(Math.trunc(points), MAX_TREND_POINTS));
    const rows = await on.all<{ taken_at: number; hosts: number; compliant: number; percent: number }>(SQL.trend, {
      from,
      to,
      points: cap,
    });
    return rows.map((r) => ({ takenAt: r.taken_at, hosts: r.hosts, compliant: r.compliant, percent: r.percent }));
  }

  /**
   * Stores a snapshot and its fleet figures (`fleet`: the document's fleet block, read from
   * `reportJson` when not given; none: the trend leaves the snapshot out), then prunes to `keep`.
   */
  save(
    takenAt: number,
    reportJson: string,
    on: Queryable = this.db,
    fleet: FleetFigures | undefined = fleetOf(reportJson),
  ): Promise<void> {
    return on.transaction(async (tx) => {
      const row = await tx.get<{ id: number }>(SQL.insert, [takenAt, reportJson]);
      if (fleet) await tx.run(SQL.insertFleet, [row!.id, takenAt, fleet.hosts, fleet.compliant, fleet.percent]);
      await tx.run(SQL.prune, [this.keep]);
      await tx.run(SQL.pruneFleet);
    });
  }

  /** The latest snapshot taken at or before `at`, or undefined. */
  async at(at: number, on: Queryable = this.db): Promise<StoredSnapshot | undefined> {
    const r = await on.get<{ taken_at: number; report_json: string }>(SQL.at, [at]);
    return r ? { takenAt: r.taken_at, reportJson: r.report_json } : undefined;
  }
}

/** Runs `take` on `expr` (node-cron, timer unref'd); returns a stop function. Failures are logged. */
export function scheduleSnapshots(expr: string, take: () => unknown, log: Logger): () => void {
  const task: ScheduledTask = cron.schedule(
    expr,
    async () => {
      try {
        await take();
      } catch (err) {
        log.error({ err: describeError(err) }, "compliance snapshot failed");
      }
    },
    { name: "compliance-snapshot", noOverlap: true, unref: true },
  );
  return () => void task.destroy();
}
