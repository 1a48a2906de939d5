import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../../common/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";
import { pruneHistory } from "../../../controller/ingest/index.js";

const DAY = 24 * 3_600_000;

function db() {
  const d = new Database(":memory:");
  applyMigrations(d, CONTROLLER_MIGRATIONS);
  for (const h of ["a", "b"]) d.prepare("INSERT INTO hosts (name, first_seen, last_seen) VALUES (?, 0, 0)").run(h);
  const report = d.prepare(
    "INSERT INTO reports (host, event_seq, generation, revision, trigger_kind, started_at, duration_ms, dry_run, summary_json, received_at) VALUES (?, ?, 1, 'r', 'resync', 0, 1, 0, '{}', ?)",
  );
  const drift = d.prepare(
    "INSERT INTO drift_events (id, host, event_seq, policy, kind, name, fields_json, detected_at, source, remediation, resolved_at, classification, detail, received_at) VALUES (?, 'a', ?, 'p', 'domain', 'g', '[]', 1, 'event', 'repaired', ?, 'corrective', '', 1)",
  );
  return { d, report, drift };
}

describe("history retention", () => {
  it("deletes old reports but keeps each host's newest, and old resolved drift but never open drift", async () => {
    const { d, report, drift } = db();
    const now = 100 * DAY;
    report.run("a", 1, 1 * DAY);
    report.run("a", 2, 2 * DAY);
    report.run("a", 3, 99 * DAY);
    report.run("b", 1, 1 * DAY);
    drift.run("old-resolved", 1, 1 * DAY);
    drift.run("recent-resolved", 2, 95 * DAY);
    drift.run("open", 3, null);
    expect(await pruneHistory(d, now)).toEqual({ reports: 2, drift: 1 });
    expect(d.prepare("SELECT host, event_seq FROM reports ORDER BY host, event_seq").all()).toEqual([
      { host: "a", event_seq: 3 },
      { host: "b", event_seq: 1 },
    ]);
    expect(
      d
        .prepare("SELECT id FROM drift_events ORDER BY id")
        .all()
        .map((r: any) => r.id),
    ).toEqual(["open", "recent-resolved"]);
  });
});
