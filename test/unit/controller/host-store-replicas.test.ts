import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HostStore } from "../../../controller/hosts/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

// Which replica holds a host's stream (hosts.replica): recorded by the Hello, required by the
// disconnect, and what a replica's start and the leader's sweep of dead replicas touch.
const hello = (name: string, sessionId: string, replica?: string) => ({
  name,
  agentVersion: "1.0.0",
  factsJson: "{}",
  factsFingerprint: "fp",
  sessionId,
  peer: "ipv4:127.0.0.1:1",
  now: 1000,
  ...(replica === undefined ? {} : { replica }),
});

describe.each(ENGINES)("HostStore: stream ownership across replicas (%s)", (engine) => {
  let t: TestStore;
  let store: HostStore;
  beforeAll(async () => {
    t = await openTestStore(engine);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.db.run("DELETE FROM hosts");
    store = new HostStore(t.db);
  });

  it("a Hello records the replica that accepted it ('' by default: one SQLite controller)", async () => {
    expect((await store.recordHello(hello("solo", "s0"))).host.replica).toBe("");
    expect((await store.recordHello(hello("kvm01", "s1", "a"))).host.replica).toBe("a");
    expect((await store.recordHello(hello("kvm01", "s2", "b"))).host.replica).toBe("b");
    expect(await store.streamOf("kvm01")).toEqual({ connected: true, replica: "b" });
    expect(await store.streamOf("nobody")).toBeUndefined();
    expect([...(await store.streamsOf(["kvm01", "nobody", "solo"]))].sort()).toEqual([
      ["kvm01", { connected: true, replica: "b" }],
      ["solo", { connected: true, replica: "" }],
    ]);
    expect((await store.listWithoutFacts()).map((h) => [h.name, h.replica])).toEqual([
      ["kvm01", "b"],
      ["solo", ""],
    ]);
  });

  it("a disconnect applies only while the row holds that session on that replica", async () => {
    await store.recordHello(hello("kvm01", "s1", "a"));
    // The same session id recorded by another replica (impossible in practice: ids are random) is not ours.
    store.markDisconnected("kvm01", "s1", "gone", 2000, "b");
    await store.flush();
    expect((await store.get("kvm01"))!.connected).toBe(true);
    // The agent moved to b; a's old stream ends afterwards: the host stays connected on b.
    await store.recordHello(hello("kvm01", "s2", "b"));
    store.markDisconnected("kvm01", "s1", "a's stream ended", 2500, "a");
    expect((await store.get("kvm01"))!.connected).toBe(true);
    await store.flush();
    expect(await store.streamOf("kvm01")).toEqual({ connected: true, replica: "b" });
    // b's own stream ends: disconnected (buffered first, then written), the last holder kept.
    store.markDisconnected("kvm01", "s2", "agent closed the stream", 3000, "b");
    expect(await store.streamOf("kvm01")).toEqual({ connected: false, replica: "b" });
    await store.flush();
    const row = (await store.get("kvm01"))!;
    expect([row.connected, row.disconnectReason, row.replica]).toEqual([false, "agent closed the stream", "b"]);
  });

  it("a replica's start marks disconnected only the hosts it held", async () => {
    await store.recordHello(hello("on-a", "s1", "a"));
    await store.recordHello(hello("on-b", "s2", "b"));
    expect(await store.markAllDisconnected("controller restarted", "a")).toBe(1);
    expect((await store.list()).map((h) => [h.name, h.connected])).toEqual([
      ["on-a", false],
      ["on-b", true],
    ]);
  });

  it("a replica restates the streams it still holds that were marked disconnected meanwhile", async () => {
    await store.recordHello(hello("kvm01", "s1", "a"));
    await store.recordHello(hello("kvm02", "s2", "a"));
    await store.recordHello(hello("kvm03", "s3", "b"));
    await t.db.run("UPDATE hosts SET connected = 0, connected_since = NULL, disconnect_reason = 'replica a not seen'");
    const streams = [
      { name: "kvm02", sessionId: "s2" },
      { name: "kvm01", sessionId: "s1" },
      { name: "kvm03", sessionId: "s3" },
      { name: "kvm01", sessionId: "old" },
    ];
    expect(await store.reassertStreams("a", streams, 5000)).toEqual(["kvm01", "kvm02"]);
    const rows = await store.list();
    expect(rows.map((h) => [h.name, h.connected, h.connectedSince, h.disconnectReason])).toEqual([
      ["kvm01", true, 5000, ""],
      ["kvm02", true, 5000, ""],
      ["kvm03", false, null, "replica a not seen"],
    ]);
  });

  it("the leader's sweep marks disconnected the hosts of replicas not alive (PostgreSQL only)", async () => {
    await store.recordHello(hello("on-a", "s1", "a"));
    await store.recordHello(hello("on-dead", "s2", "dead"));
    await store.recordHello(hello("on-none", "s3", ""));
    const marked = await store.markOrphansDisconnected(["a", "b"], "replica not seen: ");
    const rows = await store.list();
    if (engine === "sqlite") {
      expect(marked).toEqual([]);
      expect(rows.every((h) => h.connected)).toBe(true);
      return;
    }
    expect(marked).toEqual(["on-dead", "on-none"]);
    expect(rows.map((h) => [h.name, h.connected, h.disconnectReason])).toEqual([
      ["on-a", true, ""],
      ["on-dead", false, "replica not seen: dead"],
      ["on-none", false, "replica not seen: "],
    ]);
    // Nothing left to mark: an empty list of live replicas marks every connected host.
    expect(await store.markOrphansDisconnected(["a"], "x")).toEqual([]);
    expect(await store.markOrphansDisconnected([], "x")).toEqual(["on-a"]);
  });
});
