import cron, { type ScheduledTask } from "node-cron";
import {
  AsyncDatabase,
  describeError,
  OptionError,
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

/** Compliance documents taken on a schedule (compliance_snapshots), for `compliance --at`. */
export class SnapshotStore {
  private readonly stmts;

  private readonly db: AsyncDatabase;

  constructor(
    handle: SqliteDatabase | AsyncDatabase,
    private readonly keep = SNAPSHOTS_KEEP,
  ) {
    this.db = AsyncDatabase.of(handle);
    const db = this.db.connection;
    this.stmts = {
      insert: db.prepare("INSERT INTO compliance_snapshots (taken_at, report_json) VALUES (?, ?)"),
      prune: db.prepare(
        "DELETE FROM compliance_snapshots WHERE id NOT IN (SELECT id FROM compliance_snapshots ORDER BY taken_at DESC, id DESC LIMIT ?)",
      ),
      at: db.prepare<[number], { taken_at: number; report_json: string }>(
        "SELECT taken_at, report_json FROM compliance_snapshots WHERE taken_at <= ? ORDER BY taken_at DESC, id DESC LIMIT 1",
      ),
    };
  }

  save(takenAt: number, reportJson: string, on: Queryable = this.db): Promise<void> {
    return on.transaction(() => {
      this.stmts.insert.run(takenAt, reportJson);
      this.stmts.prune.run(this.keep);
    });
  }

  /** The latest snapshot taken at or before `at`, or undefined. */
  at(at: number, on: Queryable = this.db): Promise<StoredSnapshot | undefined> {
    return on.read(() => {
      const r = this.stmts.at.get(at);
      return r ? { takenAt: r.taken_at, reportJson: r.report_json } : undefined;
    });
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
