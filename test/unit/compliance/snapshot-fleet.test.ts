import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyMigrations } from "../../../common/index.js";
import { applyPgMigrations } from "../../../common/postgres/index.js";
import { SnapshotStore } from "../../../controller/compliance/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

const doc = (hosts: number, compliant: number, percent: number) =>
  JSON.stringify({ generatedAt: "x", fleet: { hosts, compliant, percent }, hosts: [] });

describe.each(ENGINES)("compliance_snapshot_fleet (schema step 9, %s)", (engine) => {
  let t: TestStore | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("backfills the fleet figures of snapshots stored before the step; documents without a numeric percentage get none", async () => {
    t = await openTestStore(engine, CONTROLLER_MIGRATIONS.slice(0, 7));
    const insert = "INSERT INTO compliance_snapshots (taken_at, report_json) VALUES (?, ?)";
    await t.db.run(insert, [1_000, doc(4, 3, 75)]);
    await t.db.run(insert, [2_000, JSON.stringify({ generatedAt: "x", hosts: [] })]); // no fleet block
    await t.db.run(insert, [3_000, "not json"]);
    await t.db.run(insert, [4_000, doc(5, 5, 100)]);
    await t.db.run(insert, [5_000, JSON.stringify({ fleet: { hosts: "many", percent: 12.5 } })]);
    if (t.sqlite) applyMigrations(t.sqlite, CONTROLLER_MIGRATIONS);
    else await applyPgMigrations(t.postgres!.handle, CONTROLLER_MIGRATIONS);
    expect(await t.db.all("SELECT * FROM compliance_snapshot_fleet ORDER BY taken_at")).toEqual([
      { snapshot_id: 1, taken_at: 1_000, hosts: 4, compliant: 3, percent: 75 },
      { snapshot_id: 4, taken_at: 4_000, hosts: 5, compliant: 5, percent: 100 },
      // SQLite keeps the text it found; PostgreSQL's BIGINT column takes 0 (fleetOf's rule).
      { snapshot_id: 5, taken_at: 5_000, hosts: engine === "sqlite" ? "many" : 0, compliant: 0, percent: 12.5 },
    ]);
  });
});

describe.each(ENGINES)("SnapshotStore (%s)", (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(async () => {
    await t.close();
  });

  it("is written and pruned with each snapshot; the trend reads it, not the documents", async () => {
    const store = new SnapshotStore(t.db, 3);
    await store.save(1_000, doc(2, 1, 50));
    await store.save(2_000, doc(2, 2, 100), undefined, { hosts: 2, compliant: 2, percent: 100 });
    await store.save(3_000, JSON.stringify({ hosts: [] }));
    await store.save(4_000, doc(4, 1, 25));
    // keep = 3: the oldest snapshot and its figures are gone; the one without a fleet block has no figures.
    expect(await t.db.get("SELECT COUNT(*) AS n FROM compliance_snapshots")).toEqual({ n: 3 });
    expect(await t.db.all("SELECT snapshot_id FROM compliance_snapshot_fleet ORDER BY snapshot_id")).toEqual([
      { snapshot_id: 2 },
      { snapshot_id: 4 },
    ]);
    expect(await store.trend(0, 10_000)).toEqual([
      { takenAt: 2_000, hosts: 2, compliant: 2, percent: 100 },
      { takenAt: 4_000, hosts: 4, compliant: 1, percent: 25 },
    ]);
    // The figures are what the trend shows: a document changed behind the store's back is not read.
    await t.db.run("UPDATE compliance_snapshots SET report_json = ?", [doc(9, 9, 100)]);
    expect((await store.trend(0, 10_000)).map((p) => p.percent)).toEqual([100, 25]);
  });

  it("answers `at` with the latest snapshot at or before it; the trend thins evenly and keeps the newest", async () => {
    const store = new SnapshotStore(t.db, 100);
    for (let i = 1; i <= 10; i++) await store.save(i * 1_000, doc(10, i, i * 10));
    expect(await store.at(500)).toBeUndefined();
    expect(await store.at(3_500)).toEqual({ takenAt: 3_000, reportJson: doc(10, 3, 30) });
    expect((await store.at(99_000))?.takenAt).toBe(10_000);
    // 10 points thinned to at most 4: every 3rd by rank from the newest (10, 7, 4, 1), oldest first.
    expect((await store.trend(0, 99_000, 4)).map((p) => p.takenAt)).toEqual([1_000, 4_000, 7_000, 10_000]);
    expect((await store.trend(2_000, 5_000, 500)).map((p) => p.compliant)).toEqual([2, 3, 4, 5]);
    expect((await store.trend(0, 99_000, 0)).map((p) => p.takenAt)).toEqual([10_000]);
  });
});
