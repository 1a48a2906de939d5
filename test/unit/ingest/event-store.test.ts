import { describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../common/index.js";
import type { AgentSession } from "../../../controller/agents/index.js";
import { validateAgentEvent, type DriftView } from "../../../controller/agent-messages/index.js";
import { DriftFeed, EventStore, Ingestor } from "../../../controller/ingest/index.js";
import { HostStore } from "../../../controller/hosts/index.js";
import { driftMsg, memoryDb, reportMsg, setBundle } from "./fixtures.js";

const ev = validateAgentEvent;

describe("EventStore", () => {
  it("stores each (host, event_seq) once: replays are duplicates and change nothing", async () => {
    const db = memoryDb("kvm01");
    const store = new EventStore(db);
    const first = await store.store([{ host: "kvm01", events: [ev(reportMsg()), ev(driftMsg())] }], 5_000);
    expect(first.lastEventSeq.get("kvm01")).toBe(2);
    expect(first.drift).toHaveLength(1);
    const again = await store.store([{ host: "kvm01", events: [ev(reportMsg()), ev(driftMsg())] }], 6_000);
    expect(again).toMatchObject({ duplicates: 2, drift: [], failures: [] });
    expect(again.lastEventSeq.get("kvm01")).toBe(2);
    expect(db.prepare("SELECT COUNT(*) AS n FROM reports").get()).toEqual({ n: 1 });
    expect(db.prepare("SELECT last_event_seq, observed_generation, observed_revision FROM hosts").get()).toEqual({
      last_event_seq: 2,
      observed_generation: 1,
      observed_revision: "b1",
    });
    // HostStore's one-column read agrees with the whole row.
    const hosts = new HostStore(db);
    expect(await hosts.observedGeneration("kvm01")).toBe(1);
    expect((await hosts.get("kvm01"))?.observedGeneration).toBe(1);
    expect(await hosts.observedGeneration("nosuch")).toBeUndefined();
  });

  it("keeps the latest state per drift id, only from newer event_seqs of the same host", async () => {
    const db = memoryDb("kvm01", "kvm02");
    const store = new EventStore(db);
    await store.store([{ host: "kvm01", events: [ev(driftMsg({ eventSeq: 3 }))] }], 1);
    const resolved = await store.store(
      [{ host: "kvm01", events: [ev(driftMsg({ eventSeq: 4, remediation: "repaired", resolvedAtMs: 2_500 }))] }],
      2,
    );
    expect(resolved.drift[0]).toMatchObject({ notable: true, drift: { remediation: "repaired", resolvedAt: 2_500 } });
    // Another host reusing the id cannot overwrite it.
    const foreign = await store.store(
      [{ host: "kvm02", events: [ev(driftMsg({ eventSeq: 10, remediation: "failed" }))] }],
      3,
    );
    expect(foreign.conflicts).toBe(1);
    const listed = await store.listDrift({ limit: 10 });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ host: "kvm01", remediation: "repaired", eventSeq: 4 });
    // An unchanged remediation/resolution is stored but not notable.
    const same = await store.store(
      [
        {
          host: "kvm01",
          events: [ev(driftMsg({ eventSeq: 5, remediation: "repaired", resolvedAtMs: 2_500, detail: "again" }))],
        },
      ],
      4,
    );
    expect(same.drift[0]?.notable).toBe(false);
  });

  it("keeps the latest outcome per resource, prunes on full runs, reports new failures once", async () => {
    const db = memoryDb("kvm01");
    setBundle(db, "kvm01", 1, "b1", [{ name: "web", revision: "r-web" }]);
    const store = new EventStore(db);
    const two = reportMsg({
      resources: [
        {
          kind: "domain",
          name: "web1",
          policy: "web",
          outcome: "ok",
          changesJson: "[]",
          error: "",
          pendingRestart: false,
        },
        {
          kind: "network",
          name: "lan",
          policy: "web",
          outcome: "failed",
          changesJson: "[]",
          error: "boom",
          pendingRestart: false,
        },
      ],
    });
    expect((await store.store([{ host: "kvm01", events: [ev(two)] }], 1)).failures).toMatchObject([
      { kind: "network", name: "lan", error: "boom" },
    ]);
    const stillFailing = reportMsg({
      eventSeq: 2,
      trigger: "event",
      resources: [
        {
          kind: "network",
          name: "lan",
          policy: "web",
          outcome: "failed",
          changesJson: "[]",
          error: "boom",
          pendingRestart: false,
        },
      ],
    });
    expect((await store.store([{ host: "kvm01", events: [ev(stillFailing)] }], 2)).failures).toEqual([]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM resource_status").get()).toEqual({ n: 2 });
    await store.store([{ host: "kvm01", events: [ev(reportMsg({ eventSeq: 3, trigger: "resync" }))] }], 3);
    expect(db.prepare("SELECT kind, name FROM resource_status").all()).toEqual([{ kind: "domain", name: "web1" }]);
    expect(db.prepare("SELECT policy, revision FROM host_observed_policies").all()).toEqual([
      { policy: "web", revision: "r-web" },
    ]);
  });

  it("does not let a dry-run report change status or observed generation", async () => {
    const db = memoryDb("kvm01");
    const store = new EventStore(db);
    await store.store([{ host: "kvm01", events: [ev(reportMsg({ dryRun: true, generation: 7 }))] }], 1);
    expect(db.prepare("SELECT observed_generation, last_event_seq FROM hosts").get()).toEqual({
      observed_generation: 0,
      last_event_seq: 1,
    });
    expect(db.prepare("SELECT COUNT(*) AS n FROM resource_status").get()).toEqual({ n: 0 });
  });

  it("writes a burst of 5,000 events in one transaction quickly", async () => {
    const db = memoryDb("kvm01");
    const store = new EventStore(db);
    const events = Array.from({ length: 5_000 }, (_, i) => ev(driftMsg({ eventSeq: i + 1, id: `d-${i}` })));
    const t = performance.now();
    const c = await store.store([{ host: "kvm01", events }], 1);
    expect(c.lastEventSeq.get("kvm01")).toBe(5_000);
    expect(performance.now() - t).toBeLessThan(1_000);
  });
});

function fakeSession(host: string): AgentSession & { sent: unknown[] } {
  const sent: unknown[] = [];
  return {
    host,
    closed: false,
    sent,
    send: (b: unknown) => sent.push(b),
    close: vi.fn(),
  } as unknown as AgentSession & { sent: unknown[] };
}

describe("Ingestor", () => {
  it("acks after the batch is stored, then publishes; duplicates are acked, not re-published", async () => {
    const db = memoryDb("kvm01");
    const feed = new DriftFeed();
    const seen: DriftView[] = [];
    feed.subscribe(undefined, (d) => seen.push(d));
    const order: string[] = [];
    const ing = new Ingestor(new EventStore(db), feed, silentLogger(), { batchDelayMs: 1, maxBatch: 100 });
    ing.addSink(() => order.push("sink-in-transaction"));
    const s = fakeSession("kvm01");
    ing.onEvent(s, reportMsg());
    ing.onEvent(s, driftMsg());
    expect(s.sent).toEqual([]);
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual(["sink-in-transaction"]);
    expect(s.sent).toEqual([{ eventsAck: { upToEventSeq: 2 } }]);
    expect(seen.map((d) => d.id)).toEqual(["d-1"]);
    ing.onEvent(s, driftMsg());
    await ing.flush();
    expect(s.sent[1]).toEqual({ eventsAck: { upToEventSeq: 2 } });
    expect(seen).toHaveLength(1);
  });

  it("throws ProtocolError synchronously for an invalid event and queues nothing", async () => {
    const db = memoryDb("kvm01");
    const ing = new Ingestor(new EventStore(db), new DriftFeed(), silentLogger());
    const s = fakeSession("kvm01");
    expect(() => ing.onEvent(s, driftMsg({ remediation: "nope" }))).toThrow(/drift.remediation/);
    await ing.flush();
    expect(s.sent).toEqual([]);
  });

  it("acks nothing and resets the streams when the write fails", async () => {
    const db = memoryDb("kvm01");
    const ing = new Ingestor(new EventStore(db), new DriftFeed(), silentLogger());
    ing.addSink(() => {
      throw new Error("disk full");
    });
    const s = fakeSession("kvm01");
    ing.onEvent(s, reportMsg());
    await ing.flush();
    expect(s.sent).toEqual([]);
    expect(s.close).toHaveBeenCalled();
    expect(db.prepare("SELECT COUNT(*) AS n FROM reports").get()).toEqual({ n: 0 });
  });
});
