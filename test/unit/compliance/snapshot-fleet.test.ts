import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../../common/index.js";
import { SnapshotStore } from "../../../controller/compliance/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";

const doc = (hosts: number, compliant: number, percent: number) =>
  JSON.stringify({ generatedAt: "x", fleet: { hosts, compliant, percent }, hosts: [] });

describe("compliance_snapshot_fleet (schema step 9)", () => {
  it("backfills the fleet figures of snapshots stored before the step; documents without a numeric percentage get none", () => {
    const db = new Database(":memory:");
    applyMigrations(db, CONTROLLER_MIGRATIONS.slice(0, 7));
    const insert = db.prepare("INSERT INTO compliance_snapshots (taken_at, report_json) VALUES (?, ?)");
    insert.run(1_000, doc(4, 3, 75));
    insert.run(2_000, JSON.stringify({ generatedAt: "x", hosts: [] })); // no fleet block
    insert.run(3_000, "not json");
    insert.run(4_000, doc(5, 5, 100));
    applyMigrations(db, CONTROLLER_MIGRATIONS);
    expect(db.prepare("SELECT * FROM compliance_snapshot_fleet ORDER BY taken_at").all()).toEqual([
      { snapshot_id: 1, taken_at: 1_000, hosts: 4, compliant: 3, percent: 75 },
      { snapshot_id: 4, taken_at: 4_000, hosts: 5, compliant: 5, percent: 100 },
    ]);
    db.close();
  });

  it("is written and pruned with each snapshot; the trend reads it, not the documents", async () => {
    const db = new Database(":memory:");
    applyMigrations(db, CONTROLLER_MIGRATIONS);
    const store = new SnapshotStore(db, 3);
    await store.save(1_000, doc(2, 1, 50));
    await store.save(2_000, doc(2, 2, 100), undefined, { hosts: 2, compliant: 2, percent: 100 });
    await store.save(3_000, JSON.stringify({ hosts: [] }));
    await store.save(4_000, doc(4, 1, 25));
    // keep = 3: the oldest snapshot and its figures are gone; the one without a fleet block has no figures.
    expect(db.prepare("SELECT COUNT(*) AS n FROM compliance_snapshots").get()).toEqual({ n: 3 });
    expect(await store.trend(0, 10_000)).toEqual([
      { takenAt: 2_000, hosts: 2, compliant: 2, percent: 100 },
      { takenAt: 4_000, hosts: 4, compliant: 1, percent: 25 },
    ]);
    // The figures are what the trend shows: a document changed behind the store's back is not read.
    db.prepare("UPDATE compliance_snapshots SET report_json = ?").run(doc(9, 9, 100));
    expect((await store.trend(0, 10_000)).map((p) => p.percent)).toEqual([100, 25]);
    db.close();
  });
});
