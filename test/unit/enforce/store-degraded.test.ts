import type Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { AgentStore, type StoreHealth } from "../../../agent/state/index.js";

// AgentStore.commit when SQLite cannot write (issue 21 item 7). The fault is SQLite's own
// SQLITE_FULL, produced by capping the database's page count (the loop-device e2e test fills a
// real file system: test/e2e/state-disk-full.test.ts).
const stores: AgentStore[] = [];
afterEach(() => {
  while (stores.length) stores.pop()!.close();
});

function open(limits?: { maxEntries: number; maxBytes: number }) {
  const store = AgentStore.openFile(":memory:", { outboxLimits: limits, retryIntervalMs: 60_000 });
  stores.push(store);
  const db = (store as unknown as { db: Database.Database }).db;
  const health: StoreHealth[] = [];
  store.onHealth((h) => health.push(h));
  return {
    store,
    health,
    fill: () => db.pragma(`max_page_count = ${db.pragma("page_count", { simple: true }) as number}`),
    free: () => db.pragma("max_page_count = 1073741823"),
  };
}

const tick = () => new Promise((r) => setImmediate(r));
const big = "x".repeat(6_000);
const drift = (id: string, resolved = false) => ({
  type: "drift" as const,
  payloadJson: JSON.stringify({ id, big }),
  driftId: id,
  resolved,
});

describe("agent store on a full disk", () => {
  it("holds events, state and bundle in memory, lists and acknowledges them, and writes them once space returns", async () => {
    const t = open();
    expect(t.store.commit({ events: [drift("a", true)] }).durable).toBe(true);
    t.fill();
    const r = t.store.commit({
      events: [drift("b"), drift("c")],
      docs: { "open-drift": { b: 1 } },
      bundle: { revision: "r2", generation: 2, bundleJson: big },
    });
    expect(r.durable).toBe(false);
    await tick(); // listeners hear after the call returns
    expect(t.health).toHaveLength(1);
    expect(t.health[0]!.degradedReason).toMatch(/state store cannot be written: .*full/i);
    expect(t.store.health()).toMatchObject({ heldEvents: 2 });
    // sent like stored ones, numbered after them
    expect(t.store.outbox.pending(0).map((e) => [e.eventSeq, e.driftId])).toEqual([
      [1, "a"],
      [2, "b"],
      [3, "c"],
    ]);
    // the link's sequence numbers do not throw either
    expect(() => t.store.saveAgentSeq(7)).not.toThrow();
    // "b" from memory, "a" from the database when SQLite can delete (a delete needs no new page)
    expect(t.store.outbox.ack(2)).toBeGreaterThanOrEqual(1);
    expect(t.store.outbox.pending(0).map((e) => e.eventSeq)).toEqual([3]);
    t.free();
    const after = t.store.commit({ events: [drift("d")] });
    expect(after.durable).toBe(true);
    expect(t.store.health()).toEqual({ degradedReason: "", degradedSinceMs: 0, heldEvents: 0 });
    await tick();
    expect(t.health.map((h) => h.degradedReason === "")).toEqual([false, true]);
    expect(t.store.outbox.pending(0).map((e) => [e.eventSeq, e.driftId])).toEqual([
      [3, "c"],
      [4, "d"],
    ]);
    expect(t.store.outbox.stats()).toMatchObject({ entries: 2, lastEventSeq: 4 });
    expect(t.store.docs.load("open-drift")).toEqual({ b: 1 });
    expect(t.store.bundles.load()).toMatchObject({ revision: "r2", generation: 2 });
    expect(t.store.sequences().lastAgentSeq).toBe(7);
  });

  it("never gives a number twice, even once the held entries were acknowledged", () => {
    const t = open();
    t.store.commit({ events: [drift("a")] });
    t.fill();
    t.store.commit({ events: [drift("b")] });
    t.store.outbox.ack(2);
    t.store.commit({ events: [drift("c")] });
    t.store.outbox.ack(3);
    expect(t.store.outbox.pending(0).map((e) => e.eventSeq)).toEqual([]);
    t.free();
    t.store.commit({ events: [drift("d")] });
    expect(t.store.outbox.pending(0).map((e) => [e.eventSeq, e.driftId])).toEqual([[4, "d"]]);
  });

  it("bounds what it holds: resolved events go first, oldest first", () => {
    const t = open({ maxEntries: 3, maxBytes: 32 * 1024 * 1024 });
    t.fill();
    t.store.commit({ events: [drift("open1"), drift("r1", true), drift("r2", true), drift("open2")] });
    t.store.commit({ events: [drift("r3", true)] });
    expect(t.store.outbox.pending(0).map((e) => e.driftId)).toEqual(["open1", "open2", "r3"]);
    expect(t.store.outbox.stats().compactedTotal).toBe(2);
  });
});
