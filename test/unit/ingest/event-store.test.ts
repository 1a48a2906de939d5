import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { silentLogger, type Engine, type Queryable } from "../../../common/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import type { AgentSession } from "../../../controller/agents/index.js";
import { validateAgentEvent, type AgentEvent, type DriftView } from "../../../controller/agent-messages/index.js";
import { DriftFeed, EventStore, Ingestor, type StoredChanges } from "../../../controller/ingest/index.js";
import { ENGINES, type TestStore } from "../../harness/postgres.js";
import { driftMsg, openStoreWithHosts, putBundle, reportMsg, value } from "./fixtures.js";

const ev = validateAgentEvent;

describe.each(ENGINES)("EventStore on %s", (engine: Engine) => {
  let t: TestStore;
  let db: Queryable;
  const open = async (...hosts: string[]) => {
    t = await openStoreWithHosts(engine, ...hosts);
    db = t.db;
  };
  afterEach(async () => {
    await t?.close();
  });

  it("stores each (host, event_seq) once: replays are duplicates and change nothing", async () => {
    await open("kvm01");
    const store = new EventStore(db);
    const first = await store.store([{ host: "kvm01", events: [ev(reportMsg()), ev(driftMsg())] }], 5_000);
    expect(first.lastEventSeq.get("kvm01")).toBe(2);
    expect(first.drift).toHaveLength(1);
    const again = await store.store([{ host: "kvm01", events: [ev(reportMsg()), ev(driftMsg())] }], 6_000);
    expect(again).toMatchObject({ duplicates: 2, drift: [], failures: [] });
    expect(again.lastEventSeq.get("kvm01")).toBe(2);
    expect(await value(db, "SELECT COUNT(*) AS n FROM reports")).toBe(1);
    expect(await db.get("SELECT last_event_seq, observed_generation, observed_revision FROM hosts")).toEqual({
      last_event_seq: 2,
      observed_generation: 1,
      observed_revision: "b1",
    });
  });

  it("keeps the latest state per drift id, only from newer event_seqs of the same host", async () => {
    await open("kvm01", "kvm02");
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
    expect(await store.countOpenDrift()).toBe(0);
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
    expect(await value(db, "SELECT detail FROM drift_events")).toBe("again");
  });

  it("applies several events of one drift id in one batch in order, and a foreign host's in the same batch is a conflict", async () => {
    await open("kvm01", "kvm02");
    const store = new EventStore(db);
    const c = await store.store(
      [
        {
          host: "kvm01",
          events: [
            ev(driftMsg({ eventSeq: 1, id: "x" })),
            ev(driftMsg({ eventSeq: 2, id: "x", remediation: "repaired", resolvedAtMs: 3_000 })),
          ],
        },
        { host: "kvm02", events: [ev(driftMsg({ eventSeq: 7, id: "x" }))] },
      ],
      1,
    );
    expect(c.drift.map((d) => [d.drift.eventSeq, d.created, d.notable])).toEqual([
      [1, true, true],
      [2, false, true],
    ]);
    expect(c.conflicts).toBe(1);
    expect(c.lastEventSeq).toEqual(
      new Map([
        ["kvm01", 2],
        ["kvm02", 7],
      ]),
    );
    expect(await db.all("SELECT id, host, event_seq, resolved_at FROM drift_events")).toEqual([
      { id: "x", host: "kvm01", event_seq: 2, resolved_at: 3_000 },
    ]);
    const first = (await store.listDrift({ host: "kvm01", since: 0, limit: 5 }))[0];
    expect(first).toMatchObject({ id: "x", fields: [{ field: "state" }] });
  });

  it("keeps the latest outcome per resource, prunes on full runs, reports new failures once", async () => {
    await open("kvm01");
    await putBundle(db, "kvm01", 1, "b1", [{ name: "web", revision: "r-web" }]);
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
          pendingRestart: true,
        },
      ],
    });
    expect((await store.store([{ host: "kvm01", events: [ev(stillFailing)] }], 2)).failures).toEqual([]);
    expect(await value(db, "SELECT COUNT(*) AS n FROM resource_status")).toBe(2);
    expect(await db.get("SELECT pending_restart, event_seq FROM resource_status WHERE kind = 'network'")).toEqual({
      pending_restart: 1,
      event_seq: 2,
    });
    await store.store([{ host: "kvm01", events: [ev(reportMsg({ eventSeq: 3, trigger: "resync" }))] }], 3);
    expect(await db.all("SELECT kind, name FROM resource_status")).toEqual([{ kind: "domain", name: "web1" }]);
    expect(await db.all("SELECT policy, revision, generation FROM host_observed_policies")).toEqual([
      { policy: "web", revision: "r-web", generation: 1 },
    ]);
  });

  it("applies several reports of one host in one batch as if stored one by one", async () => {
    await open("kvm01", "kvm02");
    for (const h of ["kvm01", "kvm02"]) await putBundle(db, h, 3, "b3", [{ name: "web", revision: "r-web" }]);
    const store = new EventStore(db);
    const res = (kind: string, name: string, outcome: string, error = "") => ({
      kind,
      name,
      policy: "web",
      outcome,
      changesJson: "[]",
      error,
      pendingRestart: false,
    });
    const reports = [
      reportMsg({
        eventSeq: 1,
        generation: 3,
        bundleRevision: "b3",
        trigger: "bundle",
        resources: [res("domain", "a", "ok"), res("network", "b", "failed", "x")],
      }),
      reportMsg({
        eventSeq: 2,
        generation: 3,
        bundleRevision: "b3",
        trigger: "event",
        resources: [res("network", "b", "failed", "x")],
      }),
      reportMsg({
        eventSeq: 3,
        generation: 4,
        bundleRevision: "b3",
        trigger: "resync",
        resources: [res("domain", "a", "ok")],
      }),
      reportMsg({
        eventSeq: 4,
        generation: 5,
        bundleRevision: "b4",
        trigger: "event",
        dryRun: true,
        resources: [res("network", "b", "failed", "y")],
      }),
      reportMsg({
        eventSeq: 5,
        generation: 5,
        bundleRevision: "b4",
        trigger: "event",
        resources: [res("network", "b", "failed", "x"), res("pool", "c", "conflict", "z")],
      }),
    ].map((m) => ev(m));
    const together = await store.store([{ host: "kvm01", events: reports }], 7);
    const oneByOne: StoredChanges["failures"] = [];
    for (const r of reports) oneByOne.push(...(await store.store([{ host: "kvm02", events: [r] }], 7)).failures);
    const alerts = (f: StoredChanges["failures"]) => f.map((x) => `${x.eventSeq} ${x.kind}/${x.name} ${x.error}`);
    // b alerts at 1, not at 2 (same error), again at 5 (the resync at 3 removed it); c at 5.
    expect(alerts(together.failures)).toEqual(["1 network/b x", "5 network/b x", "5 pool/c z"]);
    expect(alerts(oneByOne)).toEqual(alerts(together.failures));
    const of = async (host: string) => ({
      status: await db.all(
        "SELECT kind, name, outcome, error, generation, event_seq FROM resource_status WHERE host = ? ORDER BY kind, name",
        [host],
      ),
      observed: await db.all("SELECT policy, revision, generation FROM host_observed_policies WHERE host = ?", [host]),
      host: await db.get("SELECT last_event_seq, observed_generation, observed_revision FROM hosts WHERE name = ?", [
        host,
      ]),
      reports: await value(db, "SELECT COUNT(*) AS n FROM reports WHERE host = ?", [host]),
    });
    const kvm01 = await of("kvm01");
    expect(kvm01).toEqual(await of("kvm02"));
    expect(kvm01).toEqual({
      status: [
        { kind: "domain", name: "a", outcome: "ok", error: "", generation: 4, event_seq: 3 },
        { kind: "network", name: "b", outcome: "failed", error: "x", generation: 5, event_seq: 5 },
        { kind: "pool", name: "c", outcome: "conflict", error: "z", generation: 5, event_seq: 5 },
      ],
      // From the last report naming the bundle the controller holds (b3), at its generation.
      observed: [{ policy: "web", revision: "r-web", generation: 4 }],
      host: { last_event_seq: 5, observed_generation: 5, observed_revision: "b4" },
      reports: 5,
    });
  });

  it("does not let a dry-run report change status or observed generation", async () => {
    await open("kvm01");
    const store = new EventStore(db);
    await store.store([{ host: "kvm01", events: [ev(reportMsg({ dryRun: true, generation: 7 }))] }], 1);
    expect(await db.get("SELECT observed_generation, last_event_seq FROM hosts")).toEqual({
      observed_generation: 0,
      last_event_seq: 1,
    });
    expect(await value(db, "SELECT COUNT(*) AS n FROM resource_status")).toBe(0);
    expect(await value(db, "SELECT dry_run FROM reports")).toBe(1);
  });

  it("stores nothing when the transaction's own work fails", async () => {
    await open("kvm01");
    const store = new EventStore(db);
    await expect(
      store.store([{ host: "kvm01", events: [ev(reportMsg()), ev(driftMsg())] }], 1, async (_c, tx) => {
        await tx.run("UPDATE hosts SET agent_version = 'x'");
        throw new Error("sink failed");
      }),
    ).rejects.toThrow(/sink failed/);
    expect(await value(db, "SELECT COUNT(*) AS n FROM reports")).toBe(0);
    expect(await value(db, "SELECT COUNT(*) AS n FROM drift_events")).toBe(0);
    expect(await db.get("SELECT last_event_seq, agent_version FROM hosts")).toEqual({
      last_event_seq: 0,
      agent_version: "1",
    });
  });

  it("writes a burst of 5,000 events in one transaction quickly", async () => {
    await open("kvm01");
    const store = new EventStore(db);
    const events = Array.from({ length: 5_000 }, (_, i) => ev(driftMsg({ eventSeq: i + 1, id: `d-${i}` })));
    const t0 = performance.now();
    const c = await store.store([{ host: "kvm01", events }], 1);
    expect(c.lastEventSeq.get("kvm01")).toBe(5_000);
    expect(c.drift).toHaveLength(5_000);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(await value(db, "SELECT COUNT(*) AS n FROM drift_events")).toBe(5_000);
  });

  it("two concurrent stores of one host's overlapping events (two replicas) store each event once", async () => {
    await open("kvm01", "kvm02");
    // On PostgreSQL each store has its own pool: two replicas on one database.
    const second = t.postgres ? await PgDatabase.connect({ url: t.postgres.url, max: 2 }) : undefined;
    try {
      const events = (host: string, from: number, to: number): AgentEvent[] =>
        Array.from({ length: to - from + 1 }, (_, i) => {
          const seq = from + i;
          return seq % 5 === 0
            ? ev(reportMsg({ eventSeq: seq, trigger: "event" }))
            : ev(driftMsg({ eventSeq: seq, id: `d-${host}-${seq}` }));
        });
      // Events 1..20 are stored and acknowledged. Replica A is storing 21..60 when the agent
      // reconnects to replica B and replays from its last acknowledgement: 21..90.
      await new EventStore(db).store([{ host: "kvm01", events: events("kvm01", 1, 20) }], 1);
      // The first transaction to hold the host's row waits (on PostgreSQL) until the other
      // one is waiting for a lock, so the two really overlap.
      let waited = false;
      const overlap = async () => {
        if (waited) return;
        waited = true;
        if (!t.postgres) return;
        const deadline = Date.now() + 5_000;
        while (Date.now() < deadline) {
          const waiting = await value(
            db,
            "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          );
          if (waiting > 0) return;
          await new Promise((r) => setTimeout(r, 10));
        }
        throw new Error("the other store never waited for the host's row");
      };
      const a = new EventStore(db);
      const b = new EventStore(second ?? db);
      const results: StoredChanges[] = await Promise.all([
        a.store([{ host: "kvm01", events: events("kvm01", 21, 60) }], 1, overlap),
        b.store(
          [
            { host: "kvm02", events: events("kvm02", 1, 3) },
            { host: "kvm01", events: events("kvm01", 21, 90) },
          ],
          2,
          overlap,
        ),
      ]);
      expect(waited).toBe(true);
      // 70 new events of kvm01 (14 reports, 56 drifts), each applied by exactly one of the
      // two (whichever committed first), and 3 of kvm02; the 40 both got are duplicates once.
      const drifted = results.flatMap((c) => c.drift.filter((d) => d.drift.host === "kvm01").map((d) => d.drift.id));
      expect(drifted).toHaveLength(56);
      expect(new Set(drifted).size).toBe(56);
      expect(results[0]!.duplicates + results[1]!.duplicates).toBe(40);
      expect(results.map((c) => c.conflicts)).toEqual([0, 0]);
      expect(results[1]!.lastEventSeq.get("kvm01")).toBe(90);
      // 90 distinct events of kvm01 in all: 18 reports, 72 drifts.
      expect(await value(db, "SELECT COUNT(*) AS n FROM reports WHERE host = 'kvm01'")).toBe(18);
      expect(await value(db, "SELECT COUNT(*) AS n FROM drift_events WHERE host = 'kvm01'")).toBe(72);
      expect(await value(db, "SELECT COUNT(*) AS n FROM drift_events WHERE host = 'kvm02'")).toBe(3);
      expect(await value(db, "SELECT last_event_seq FROM hosts WHERE name = 'kvm01'")).toBe(90);
    } finally {
      await second?.close();
    }
  });

  it("two replicas storing batches of the same hosts in opposite orders both commit (hosts locked in name order)", async () => {
    const hosts = ["kvm01", "kvm02", "kvm03", "kvm04"];
    await open(...hosts);
    const second = t.postgres ? await PgDatabase.connect({ url: t.postgres.url, max: 2 }) : undefined;
    try {
      const events = (host: string) =>
        Array.from({ length: 20 }, (_, i) => ev(driftMsg({ eventSeq: i + 1, id: `d-${host}-${i + 1}` })));
      const batch = (order: string[]) => order.map((host) => ({ host, events: events(host) }));
      const runs = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          new EventStore(i % 2 === 0 ? db : (second ?? db)).store(batch(i % 2 === 0 ? hosts : [...hosts].reverse()), i),
        ),
      );
      // Each event applied by exactly one of the four, the rest duplicates.
      expect(runs.reduce((n, c) => n + c.drift.length, 0)).toBe(80);
      expect(runs.reduce((n, c) => n + c.duplicates, 0)).toBe(240);
      expect(await value(db, "SELECT COUNT(*) AS n FROM drift_events")).toBe(80);
    } finally {
      await second?.close();
    }
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

describe.each(ENGINES)("Ingestor on %s", (engine: Engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openStoreWithHosts(engine, "kvm01");
  });
  afterEach(async () => {
    await t.close();
  });

  it("acks after the batch is stored, then publishes; duplicates are acked, not re-published", async () => {
    const feed = new DriftFeed();
    const seen: DriftView[] = [];
    feed.subscribe(undefined, (d) => seen.push(d));
    const order: string[] = [];
    const ing = new Ingestor(new EventStore(t.db), feed, silentLogger(), { batchDelayMs: 1, maxBatch: 100 });
    ing.addSink(() => order.push("sink-in-transaction"));
    const s = fakeSession("kvm01");
    ing.onEvent(s, reportMsg());
    ing.onEvent(s, driftMsg());
    expect(s.sent).toEqual([]);
    await vi.waitFor(() => expect(s.sent).toHaveLength(1), { timeout: 2_000, interval: 5 });
    expect(order).toEqual(["sink-in-transaction"]);
    expect(s.sent).toEqual([{ eventsAck: { upToEventSeq: 2 } }]);
    expect(seen.map((d) => d.id)).toEqual(["d-1"]);
    ing.onEvent(s, driftMsg());
    await ing.flush();
    expect(s.sent[1]).toEqual({ eventsAck: { upToEventSeq: 2 } });
    expect(seen).toHaveLength(1);
  });

  it("throws ProtocolError synchronously for an invalid event and queues nothing", async () => {
    const ing = new Ingestor(new EventStore(t.db), new DriftFeed(), silentLogger());
    const s = fakeSession("kvm01");
    expect(() => ing.onEvent(s, driftMsg({ remediation: "nope" }))).toThrow(/drift.remediation/);
    await ing.flush();
    expect(s.sent).toEqual([]);
  });

  it("acks nothing and resets the streams when the write fails", async () => {
    const ing = new Ingestor(new EventStore(t.db), new DriftFeed(), silentLogger());
    ing.addSink(() => {
      throw new Error("disk full");
    });
    const s = fakeSession("kvm01");
    ing.onEvent(s, reportMsg());
    await ing.flush();
    expect(s.sent).toEqual([]);
    expect(s.close).toHaveBeenCalled();
    expect(await value(t.db, "SELECT COUNT(*) AS n FROM reports")).toBe(0);
  });
});
