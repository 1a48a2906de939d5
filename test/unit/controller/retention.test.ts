import { afterEach, describe, expect, it } from "vitest";
import type { Engine, Queryable } from "../../../common/index.js";
import { pruneHistory } from "../../../controller/ingest/index.js";
import { ENGINES, type TestStore } from "../../harness/postgres.js";
import { openStoreWithHosts } from "../ingest/fixtures.js";

const DAY = 24 * 3_600_000;

const report = (on: Queryable, host: string, seq: number, receivedAt: number) =>
  on.run(
    "INSERT INTO reports (host, event_seq, generation, revision, trigger_kind, started_at, duration_ms, dry_run, summary_json, received_at) VALUES (?, ?, 1, 'r', 'resync', 0, 1, 0, '{}', ?)",
    [host, seq, receivedAt],
  );
const drift = (on: Queryable, id: string, seq: number, resolvedAt: number | null) =>
  on.run(
    "INSERT INTO drift_events (id, host, event_seq, policy, kind, name, fields_json, detected_at, source, remediation, resolved_at, classification, detail, received_at) VALUES (?, 'a', ?, 'p', 'domain', 'g', '[]', 1, 'event', 'repaired', ?, 'corrective', '', 1)",
    [id, seq, resolvedAt],
  );

describe.each(ENGINES)("history retention on %s", (engine: Engine) => {
  let t: TestStore;
  afterEach(async () => {
    await t?.close();
  });

  it("deletes old reports but keeps each host's newest, and old resolved drift but never open drift", async () => {
    t = await openStoreWithHosts(engine, "a", "b");
    const db = t.db;
    const now = 100 * DAY;
    await report(db, "a", 1, 1 * DAY);
    await report(db, "a", 2, 2 * DAY);
    await report(db, "a", 3, 99 * DAY);
    await report(db, "b", 1, 1 * DAY);
    await drift(db, "old-resolved", 1, 1 * DAY);
    await drift(db, "recent-resolved", 2, 95 * DAY);
    await drift(db, "open", 3, null);
    expect(await pruneHistory(db, now)).toEqual({ reports: 2, drift: 1 });
    expect(await db.all("SELECT host, event_seq FROM reports ORDER BY host, event_seq")).toEqual([
      { host: "a", event_seq: 3 },
      { host: "b", event_seq: 1 },
    ]);
    expect((await db.all<{ id: string }>("SELECT id FROM drift_events ORDER BY id")).map((r) => r.id)).toEqual([
      "open",
      "recent-resolved",
    ]);
    // Nothing is past its retention any more.
    expect(await pruneHistory(db, now)).toEqual({ reports: 0, drift: 0 });
  });
});
