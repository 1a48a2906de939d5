import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { applyMigrations } from "../../../common/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";
import { changedSections, FACT_HISTORY_KEEP, HostStore } from "../../../controller/hosts/index.js";

let store: HostStore;
let db: Database.Database;
const hello = (over: Partial<Parameters<HostStore["recordHello"]>[0]> = {}) => ({
  name: "kvm01",
  agentVersion: "1.0.0",
  factsJson: JSON.stringify({ cpu: { threads: 8 }, memory: { totalBytes: 1 } }),
  factsFingerprint: "fp1",
  sessionId: "s1",
  peer: "ipv4:127.0.0.1:1",
  now: 1000,
  ...over,
});

beforeEach(() => {
  db = new Database(":memory:");
  applyMigrations(db, CONTROLLER_MIGRATIONS);
  store = new HostStore(db);
});

describe("HostStore", () => {
  it("creates a host on first hello and reconnects it on later ones", async () => {
    expect((await store.recordHello(hello())).created).toBe(true);
    store.markDisconnected("kvm01", "s1", "agent closed the stream", 2000);
    expect(await store.get("kvm01")).toMatchObject({
      connected: false,
      disconnectReason: "agent closed the stream",
      lastSeen: 2000,
    });
    const again = await store.recordHello(hello({ sessionId: "s2", now: 3000 }));
    expect(again.created).toBe(false);
    expect(again.host).toMatchObject({
      connected: true,
      firstSeen: 1000,
      connectedSince: 3000,
      sessionId: "s2",
      disconnectReason: "",
    });
  });

  it("lists the known hosts' names, sorted", async () => {
    expect(await store.names()).toEqual([]);
    for (const name of ["kvm10", "kvm02", "edge-1"]) await store.recordHello(hello({ name, sessionId: name }));
    expect(await store.names()).toEqual(["edge-1", "kvm02", "kvm10"]);
  });

  it("answers whether a host is known and reads its facts alone", async () => {
    expect(await store.has("kvm01")).toBe(false);
    expect(await store.factsJson("kvm01")).toBeUndefined();
    await store.recordHello(hello());
    expect(await store.has("kvm01")).toBe(true);
    expect(await store.factsJson("kvm01")).toBe(hello().factsJson);
  });

  it("buffers disconnects: reads see them at once, one flush writes them all, a newer session is never overwritten", async () => {
    for (const name of ["a", "b", "c"]) await store.recordHello(hello({ name, sessionId: `${name}1` }));
    for (const name of ["a", "b", "c"]) store.markDisconnected(name, `${name}1`, "partition", 2000);
    await store.recordHello(hello({ name: "c", sessionId: "c2", now: 2100 }));
    const stored = () => db.prepare("SELECT name, connected FROM hosts ORDER BY name").all();
    expect(stored()).toEqual([
      { name: "a", connected: 1 },
      { name: "b", connected: 1 },
      { name: "c", connected: 1 },
    ]);
    expect((await store.list()).map((h) => [h.name, h.connected])).toEqual([
      ["a", false],
      ["b", false],
      ["c", true],
    ]);
    await store.flush();
    expect(stored()).toEqual([
      { name: "a", connected: 0 },
      { name: "b", connected: 0 },
      { name: "c", connected: 1 },
    ]);
  });

  it("writes buffered disconnects by itself shortly after", async () => {
    await store.recordHello(hello());
    store.markDisconnected("kvm01", "s1", "gone", 2000);
    await new Promise((r) => setTimeout(r, 50));
    expect(db.prepare("SELECT connected, disconnect_reason FROM hosts").get()).toEqual({
      connected: 0,
      disconnect_reason: "gone",
    });
  });

  it("ignores a disconnect from a session that was already replaced", async () => {
    await store.recordHello(hello());
    await store.recordHello(hello({ sessionId: "s2", now: 2000 }));
    store.markDisconnected("kvm01", "s1", "old stream ended", 2500);
    expect((await store.get("kvm01"))!.connected).toBe(true);
  });

  it("keeps a fact history only when the fingerprint changes, naming changed sections", async () => {
    await store.recordHello(hello());
    expect(
      await store.recordFacts("kvm01", JSON.stringify({ cpu: { threads: 8 }, memory: { totalBytes: 1 } }), "fp1", 2000),
    ).toBe(false);
    expect(
      await store.recordFacts(
        "kvm01",
        JSON.stringify({ cpu: { threads: 16 }, memory: { totalBytes: 1 } }),
        "fp2",
        3000,
      ),
    ).toBe(true);
    const h = await store.factHistory("kvm01", 10);
    expect(h.map((c) => c.factsFingerprint)).toEqual(["fp2", "fp1"]);
    expect(h[0].changedSections).toEqual(["cpu"]);
    expect(await store.recordFacts("nobody", "{}", "x", 1)).toBe(false);
  });

  it("prunes fact history beyond the retention", async () => {
    await store.recordHello(hello());
    for (let i = 0; i < FACT_HISTORY_KEEP + 10; i++)
      await store.recordFacts("kvm01", JSON.stringify({ i }), `fp-${i}`, 2000 + i);
    expect(await store.factHistory("kvm01", 10_000)).toHaveLength(FACT_HISTORY_KEEP);
  });

  it("buffers liveness until flush, keeping the maximum", async () => {
    await store.recordHello(hello());
    store.touch("kvm01", 5000, 7, 3);
    store.touch("kvm01", 4000, 5, 2);
    await store.flush();
    expect(await store.get("kvm01")).toMatchObject({ lastSeen: 5000, lastAgentSeq: 7, lastControllerSeq: 3 });
  });

  it("marks every host disconnected at start", async () => {
    await store.recordHello(hello());
    await store.recordHello(hello({ name: "kvm02", sessionId: "x" }));
    expect(await store.markAllDisconnected("controller restarted")).toBe(2);
    expect((await store.list()).map((h) => h.connected)).toEqual([false, false]);
  });
});

describe("changedSections", () => {
  it("lists added, removed and changed top-level keys, ignoring key order", async () => {
    expect(changedSections('{"a":{"x":1,"y":2},"b":1}', '{"a":{"y":2,"x":1},"c":1}')).toEqual(["b", "c"]);
    expect(changedSections("not json", '{"a":1}')).toEqual(["a"]);
  });
});
