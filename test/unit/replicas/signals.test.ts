import { waitUntil } from "../../harness/processes.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PgDatabase } from "../../../common/postgres/index.js";
import {
  LocalSignals,
  MAX_PAYLOAD_BYTES,
  payloads,
  PgSignals,
  type Signal,
} from "../../../controller/replicas/index.js";
import { openTestStore, type TestStore } from "../../harness/postgres.js";

describe("signal payloads", () => {
  it("split many ids into payloads under PostgreSQL's 8,000 bytes, losing none", () => {
    const ids = Array.from({ length: 3_000 }, (_, i) => `host-${String(i).padStart(5, "0")}.example.org`);
    const ps = payloads("replica-a", ids);
    expect(ps.length).toBeGreaterThan(1);
    for (const p of ps) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(ps.flatMap((p) => (JSON.parse(p) as { i: string[] }).i)).toEqual(ids);
  });
});

describe("LocalSignals (one SQLite controller)", () => {
  it("delivers to this process's subscribers", async () => {
    const s = new LocalSignals("solo");
    const got: Signal[] = [];
    s.subscribe("drift", (x) => got.push(x));
    await s.publish("drift", ["d1", "d2"]);
    await s.publish("drift", []);
    expect(got).toEqual([{ channel: "drift", ids: ["d1", "d2"], from: "solo" }]);
  });
});

describe("PgSignals (replicas on PostgreSQL)", () => {
  let store: TestStore;
  const open: { db: PgDatabase; s: PgSignals }[] = [];
  beforeEach(async () => {
    store = await openTestStore("postgres");
  });
  afterEach(async () => {
    for (const r of open.splice(0)) {
      await r.s.stop();
      await r.db.close();
    }
    await store.close();
  });
  async function replica(name: string) {
    const db = await PgDatabase.connect({ url: store.postgres!.url, max: 2 });
    const s = await PgSignals.start(db, { replica: name, reconnectMs: 50 });
    open.push({ db, s });
    return s;
  }

  it("a signal published on one replica reaches every replica (itself included) within a second, per channel", async () => {
    const a = await replica("a");
    const b = await replica("b");
    const onB: Signal[] = [];
    const onA: Signal[] = [];
    b.subscribe("drift", (x) => onB.push(x));
    b.subscribe("bundle", (x) => onB.push(x));
    a.subscribe("drift", (x) => onA.push(x));
    const ids = Array.from({ length: 1_000 }, (_, i) => `drift-${i}-${"x".repeat(20)}`);
    await a.publish("drift", ids);
    await a.publish("bundle", ["kvm01"]);
    const took = await waitUntil("b hears all", () => onB.flatMap((x) => x.ids).length === ids.length + 1);
    expect(took).toBeLessThan(1_000);
    expect(onB.filter((x) => x.channel === "drift").flatMap((x) => x.ids)).toEqual(ids);
    expect(onB.find((x) => x.channel === "bundle")).toEqual({ channel: "bundle", ids: ["kvm01"], from: "a" });
    await waitUntil("a hears its own", () => onA.flatMap((x) => x.ids).length === ids.length);
  });

  it("a listening connection cut: it reconnects, tells resync listeners, and hears signals again", async () => {
    const a = await replica("a");
    const b = await replica("b");
    let resyncs = 0;
    b.onResync(() => resyncs++);
    const onB: string[] = [];
    b.subscribe("revoke", (x) => onB.push(...x.ids));
    await store.db.get(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'virtfleet-signals-b'",
    );
    await waitUntil("b resyncs", () => resyncs === 1);
    await a.publish("revoke", ["kvm07"]);
    await waitUntil("b hears after the reconnect", () => onB.includes("kvm07"));
  });
});
