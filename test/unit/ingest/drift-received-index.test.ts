import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

// The resync read of controller/ingest (event-store.ts, driftReceivedFrom): drift rows stored
// since a time, in (received_at, host, event_seq) order, a page at a time. Schema step 12's
// index drift_by_received serves it: no scan of the whole table, no sort.
const RESYNC_READ = `SELECT * FROM drift_events WHERE received_at >= ? AND (received_at, host, event_seq) > (?, ?, ?)
     ORDER BY received_at, host, event_seq LIMIT ?`;
const PARAMS = [1000, 1000, "", 0, 1000];

describe.each(ENGINES)("drift_events by received_at (%s)", (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(async () => {
    await t.close();
  });

  it("the resync read uses the index drift_by_received", async () => {
    if (engine === "sqlite") {
      const plan = t.sqlite!.prepare(`EXPLAIN QUERY PLAN ${RESYNC_READ}`).all(...PARAMS) as { detail: string }[];
      const text = plan.map((p) => p.detail).join("\n");
      expect(text).toMatch(/USING (COVERING )?INDEX drift_by_received/);
      expect(text).not.toMatch(/TEMP B-TREE/);
      return;
    }
    const plan = await t.db.transaction(async (tx) => {
      // an empty table is cheapest to scan: ask whether an index path exists at all
      await tx.run("SET LOCAL enable_seqscan = off");
      await tx.run("SET LOCAL enable_sort = off");
      return tx.all<{ "QUERY PLAN": string }>(`EXPLAIN ${RESYNC_READ}`, PARAMS);
    });
    const text = plan.map((p) => p["QUERY PLAN"]).join("\n");
    expect(text).toMatch(/Index Scan using drift_by_received/);
    expect(text).not.toMatch(/\bSort\b/);
  });
});
