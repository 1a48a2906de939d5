import { randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AgentMessage__Output } from "../../../generated/proto/fleet/v1/AgentMessage.js";
import { silentLogger } from "../../../common/index.js";
import { fleetProto } from "../../../common/grpc/load-protos.js";
import { DriftAdmin, type DriftAdminDeps } from "../../../controller/admin/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import type { DriftView } from "../../../controller/agent-messages/index.js";
import type { AgentSession } from "../../../controller/agents/index.js";
import type { BundleService } from "../../../controller/bundles/index.js";
import { ComplianceService, hostStatus, touchOnChanges } from "../../../controller/compliance/index.js";
import { HostStore } from "../../../controller/hosts/index.js";
import {
  DriftFeed,
  DriftRelay,
  EventStore,
  Ingestor,
  RESYNC_PAGE,
  signalIngest,
} from "../../../controller/ingest/index.js";
import { PgSignals } from "../../../controller/replicas/index.js";
import type { WebDeps } from "../../../controller/web/index.js";
import { LIVE_ROUTES } from "../../../controller/web/live/index.js";
import { openTestStore, type TestStore } from "../../harness/postgres.js";
import { request, routeOf } from "../web-live/live-deps.js";
import { addHosts, driftMsg, putBundle, reportMsg, value } from "./fixtures.js";

/**
 * Two (or three) controller replicas' ingest on one PostgreSQL test database, each with its
 * own PgDatabase (pool), PgSignals (listening connection), EventStore, DriftFeed, Ingestor,
 * DriftRelay and signalIngest, wired as controller/controller.ts wires them for replicas.
 */
interface Replica {
  name: string;
  db: PgDatabase;
  signals: PgSignals;
  store: EventStore;
  feed: DriftFeed;
  ingestor: Ingestor;
  relay: DriftRelay;
  hosts: HostStore;
  /** Stores `msgs` as host's agent stream on this replica: resolves once committed, acked and signalled. */
  ingest(host: string, msgs: AgentMessage__Output[]): Promise<FakeSession>;
  /** Every drift the feed emitted to an all-hosts watcher subscribed at start, with when it arrived. */
  seen: { d: DriftView; at: number }[];
}

interface FakeSession {
  host: string;
  closed: boolean;
  sent: { eventsAck?: { upToEventSeq: number } }[];
  send(b: unknown): void;
  close(): void;
}

function session(host: string): FakeSession {
  const s: FakeSession = {
    host,
    closed: false,
    sent: [],
    send: (b) => s.sent.push(b as FakeSession["sent"][number]),
    close: () => {
      s.closed = true;
    },
  };
  return s;
}

const log = silentLogger();
const drift = (eventSeq: number, id: string, over: Parameters<typeof driftMsg>[0] = {}) =>
  driftMsg({ eventSeq, id, ...over });
const report = (eventSeq: number) => reportMsg({ eventSeq, trigger: "event" });

describe("drift and live views across replicas (PostgreSQL)", () => {
  let t: TestStore;
  const replicas: Replica[] = [];
  const suffix = randomBytes(3).toString("hex");

  beforeEach(async () => {
    t = await openTestStore("postgres");
    await addHosts(t.db, "kvm01", "kvm02");
  });
  afterEach(async () => {
    for (const r of replicas.splice(0)) {
      r.relay.stop();
      await r.ingestor.flush();
      await r.signals.stop();
      await r.hosts.flush();
      await r.db.close();
    }
    await t.close();
  });

  async function replica(name: string, reconnectMs = 50): Promise<Replica> {
    const db = await PgDatabase.connect({ url: t.postgres!.url, max: 3 });
    const signals = await PgSignals.start(db, { replica: `${name}-${suffix}`, reconnectMs });
    const store = new EventStore(db);
    const feed = new DriftFeed();
    const ingestor = new Ingestor(store, feed, log, { batchDelayMs: 1, maxBatch: 500 });
    const published = signalIngest(ingestor, signals, log);
    const relay = DriftRelay.start({ signals, store, feed, log });
    const seen: Replica["seen"] = [];
    feed.subscribe(undefined, (d) => seen.push({ d, at: performance.now() }));
    const r: Replica = {
      name,
      db,
      signals,
      store,
      feed,
      ingestor,
      relay,
      hosts: new HostStore(db),
      seen,
      async ingest(host, msgs) {
        const s = session(host);
        for (const m of msgs) ingestor.onEvent(s as unknown as AgentSession, m);
        await ingestor.flush();
        await published.idle();
        return s;
      },
    };
    replicas.push(r);
    return r;
  }

  /** Terminates `r`'s listening connection (its signals are lost until it is back). */
  async function cutListening(r: Replica): Promise<void> {
    const app = `virtfleet-signals-${r.signals.replica}`;
    const where = "WHERE application_name = ? AND datname = current_database()";
    await t.db.get(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity ${where}`, [app]);
    await vi.waitFor(
      async () => expect(await value(t.db, `SELECT COUNT(*) AS n FROM pg_stat_activity ${where}`, [app])).toBe(0),
      { timeout: 5_000, interval: 5 },
    );
  }

  it("a drift ingested on B reaches a watcher on A within a second, once, in the shape and order B's watchers got it", async () => {
    const a = await replica("a");
    const b = await replica("b");
    // One batch on B: d-1 detected, d-2 detected, d-1 resolved (an id stored twice in a batch).
    const t0 = performance.now();
    await b.ingest("kvm01", [
      drift(1, "d-1"),
      report(2),
      drift(3, "d-2", { name: "web2" }),
      drift(4, "d-1", { remediation: "repaired", resolvedAtMs: 2_500 }),
    ]);
    await vi.waitFor(() => expect(a.seen).toHaveLength(2), { timeout: 2_000, interval: 2 });
    const took = Math.max(...a.seen.map((s) => s.at)) - t0;
    expect(took).toBeLessThan(1_000);
    // B's own watchers got every state in the batch's order; A gets each id's stored (newest)
    // state at its last position: the same objects a local watcher ends with.
    expect(b.seen.map((s) => `${s.d.id}@${s.d.eventSeq}`)).toEqual(["d-1@1", "d-2@3", "d-1@4"]);
    expect(a.seen.map((s) => s.d)).toEqual([b.seen[1]!.d, b.seen[2]!.d]);
    // A's own ingest reaches A's watchers once (its own signal is skipped) and B's once.
    await a.ingest("kvm02", [drift(1, "d-3", { name: "web3" })]);
    await vi.waitFor(() => expect(b.seen).toHaveLength(4), { timeout: 2_000, interval: 2 });
    await new Promise((r) => setTimeout(r, 300));
    await a.relay.idle();
    expect(a.seen.map((s) => s.d.id)).toEqual(["d-2", "d-1", "d-3"]);
    expect(b.seen.map((s) => s.d.id)).toEqual(["d-1", "d-2", "d-1", "d-3"]);
    expect(b.seen[3]!.d).toEqual(a.seen[2]!.d);
  });

  it("a watcher on A whose listening connection is cut misses nothing after the resync, and gets nothing twice", async () => {
    const a = await replica("a", 1_000);
    const b = await replica("b");
    let resyncedAt = 0;
    a.signals.onResync(() => (resyncedAt = performance.now()));
    await b.ingest("kvm01", [drift(1, "d-before")]);
    await vi.waitFor(() => expect(a.seen).toHaveLength(1), { timeout: 2_000, interval: 2 });
    await cutListening(a);
    // While A is not listening (it reconnects after 1 s), B stores and signals: A hears none of it.
    await b.ingest("kvm01", [drift(2, "d-lost-1"), drift(3, "d-before", { remediation: "repaired", resolvedAtMs: 9 })]);
    await b.ingest("kvm02", [drift(1, "d-lost-2", { name: "web2" })]);
    expect(resyncedAt).toBe(0);
    expect(a.seen).toHaveLength(1);
    await vi.waitFor(() => expect(a.seen).toHaveLength(4), { timeout: 5_000, interval: 5 });
    await a.relay.idle();
    expect(resyncedAt).toBeGreaterThan(0);
    for (const s of a.seen.slice(1)) expect(s.at).toBeGreaterThanOrEqual(resyncedAt);
    expect(a.seen.map((s) => `${s.d.id}@${s.d.eventSeq}`).sort()).toEqual(
      ["d-before@1", "d-before@3", "d-lost-1@2", "d-lost-2@1"].sort(),
    );
    // The resync re-read d-before@1 too (within its slack): it was not sent again. Signals work again.
    await b.ingest("kvm02", [drift(2, "d-after", { name: "web3" })]);
    await vi.waitFor(() => expect(a.seen).toHaveLength(5), { timeout: 2_000, interval: 2 });
    expect(a.seen[4]!.d.id).toBe("d-after");
  });

  it("a resync reads what was missed page by page (more rows than RESYNC_PAGE), each once, a host's in event order", async () => {
    const a = await replica("a", 1_000);
    const b = await replica("b");
    await cutListening(a);
    const n = RESYNC_PAGE + 300;
    await b.ingest(
      "kvm01",
      Array.from({ length: n }, (_, i) => drift(i + 1, `p-${i + 1}`)),
    );
    await vi.waitFor(() => expect(a.seen).toHaveLength(n), { timeout: 10_000, interval: 20 });
    await a.relay.idle();
    expect(a.seen.map((s) => s.d.eventSeq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });

  it("an agent moving from A to B replays from the stored last_event_seq: each event stored once, none lost", async () => {
    const a = await replica("a");
    const N = 40;
    const events = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => {
        const seq = from + i;
        return seq % 4 === 0 ? report(seq) : drift(seq, `m-${seq}`);
      });
    const onA = await a.ingest("kvm01", events(1, N));
    expect(onA.sent.at(-1)).toEqual({ eventsAck: { upToEventSeq: N } });
    // B never saw the host: the Welcome's lastEventSeq it sends comes from the store (its
    // HostStore.recordHello: the row the hello's UPDATE … RETURNING gives back).
    const b = await replica("b");
    const { host } = await b.hosts.recordHello({
      name: "kvm01",
      agentVersion: "1",
      factsJson: "{}",
      factsFingerprint: "f",
      sessionId: "s-moved",
      peer: "p",
      now: Date.now(),
    });
    expect(host.lastEventSeq).toBe(N);
    // The agent replays from an older acknowledgement (its last one was lost with A): N-5..N+20.
    const onB = await b.ingest("kvm01", events(N - 5, N + 20));
    expect(onB.sent.at(-1)).toEqual({ eventsAck: { upToEventSeq: N + 20 } });
    const total = N + 20;
    const reports = Math.floor(total / 4);
    expect(await value(t.db, "SELECT COUNT(*) AS n FROM reports WHERE host = 'kvm01'")).toBe(reports);
    expect(await value(t.db, "SELECT COUNT(*) AS n FROM drift_events WHERE host = 'kvm01'")).toBe(total - reports);
    expect(await value(t.db, "SELECT COUNT(DISTINCT event_seq) AS n FROM drift_events WHERE host = 'kvm01'")).toBe(
      total - reports,
    );
    expect(await value(t.db, "SELECT MAX(event_seq) AS n FROM reports WHERE host = 'kvm01'")).toBe(total);
    expect(await value(t.db, "SELECT last_event_seq FROM hosts WHERE name = 'kvm01'")).toBe(total);
    // A's watcher got B's new drift once each; the replayed ones B counted as duplicates went nowhere.
    const fresh = events(N + 1, N + 20).filter((m) => m.drift).length;
    await vi.waitFor(() => expect(a.seen).toHaveLength(N - N / 4 + fresh), { timeout: 2_000, interval: 5 });
    await new Promise((r) => setTimeout(r, 200));
    expect(new Set(a.seen.map((s) => s.d.id)).size).toBe(a.seen.length);
    expect(b.seen).toHaveLength(fresh);
  });

  it("a host's compliance on A is counted again when B stores its report (the ingest signal)", async () => {
    await putBundle(t.db, "kvm01", 1, "b1", [{ name: "web", revision: "r1" }]);
    const a = await replica("a", 500);
    const b = await replica("b");
    const compliance = new ComplianceService(a.db, log);
    try {
      const noBundles = { onDelivered: () => undefined } as unknown as BundleService;
      touchOnChanges(compliance.tally, { ingestor: a.ingestor, bundles: noBundles, signals: a.signals });
      await compliance.tally.update(2);
      const before = new Map(compliance.tally.entries()).get("kvm01")?.status;
      expect(before).toBe("pending");
      await b.ingest("kvm01", [reportMsg({ eventSeq: 1, generation: 1, bundleRevision: "b1" })]);
      // What A computes from the store now; its tally (touched by B's signal) must catch up.
      const expected = hostStatus((await compliance.host("kvm01"))!);
      expect(expected).toBe("compliant");
      await vi.waitFor(
        async () => {
          await compliance.tally.update(2);
          expect(new Map(compliance.tally.entries()).get("kvm01")?.status).toBe(expected);
        },
        { timeout: 1_000, interval: 10 },
      );
      // A's `ingest` signals lost (its listening connection cut): the resync makes A's tally
      // run a full pass, which finds kvm01 failed.
      let resynced = false;
      a.signals.onResync(() => (resynced = true));
      await cutListening(a);
      await b.ingest("kvm01", [
        reportMsg({
          eventSeq: 2,
          generation: 1,
          bundleRevision: "b1",
          resources: [
            {
              kind: "domain",
              name: "web1",
              policy: "web",
              outcome: "failed",
              changesJson: "[]",
              error: "boom",
              pendingRestart: false,
            },
          ],
        }),
      ]);
      await compliance.tally.update(2);
      expect(new Map(compliance.tally.entries()).get("kvm01")?.status).toBe("compliant");
      await vi.waitFor(() => expect(resynced).toBe(true), { timeout: 5_000, interval: 5 });
      await vi.waitFor(
        async () => {
          await compliance.tally.update(2);
          expect(new Map(compliance.tally.entries()).get("kvm01")?.status).toBe("failed");
        },
        { timeout: 2_000, interval: 10 },
      );
    } finally {
      compliance.stop();
    }
  });

  it("the dashboard's drift stream (GET /drift/events) on A sends a row for drift B stored, within a second", async () => {
    const a = await replica("a");
    const b = await replica("b");
    const deps = { hosts: a.hosts, events: a.store, feed: a.feed, log } as unknown as WebDeps;
    const res = await routeOf(LIVE_ROUTES, "GET", "/drift/events").handle(
      request(`/drift/events?after=${Date.now()}`),
      deps,
    );
    if (res.kind !== "events") throw new Error(`expected an event stream, got ${res.kind}`);
    const sent: { event: string; data: string; at: number }[] = [];
    const abort = new AbortController();
    const streaming = res.stream((event, data) => sent.push({ event, data, at: performance.now() }), abort.signal);
    try {
      const t0 = performance.now();
      await b.ingest("kvm01", [drift(1, "sse-1", { detectedAtMs: Date.now() + 1_000 })]);
      await vi.waitFor(() => expect(sent.filter((s) => s.event === "drift")).toHaveLength(1), {
        timeout: 2_000,
        interval: 2,
      });
      const row = sent.find((s) => s.event === "drift")!;
      expect(row.at - t0).toBeLessThan(1_000);
      expect(row.data).toContain('id="drift-sse-1"');
      expect(row.data).toContain('<a href="/hosts/kvm01">kvm01</a>');
    } finally {
      abort.abort();
      await streaming;
    }
  });

  it("`drift watch` (the admin API's WatchDrift) on A streams drift B stored, within a second, once", async () => {
    const a = await replica("a");
    const b = await replica("b");
    const admin = new DriftAdmin({ hosts: a.hosts, events: a.store, feed: a.feed, log } as unknown as DriftAdminDeps);
    const server = new grpc.Server();
    server.addService(fleetProto().AdminService.service, admin.handlers() as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const client = new (fleetProto().AdminService)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const got: { id: string; host: string; remediation: string; at: number }[] = [];
    const call = client.WatchDrift({});
    call.on("data", (r: { id: string; host: string; remediation: string }) =>
      got.push({ id: r.id, host: r.host, remediation: r.remediation, at: performance.now() }),
    );
    call.on("error", () => undefined);
    try {
      await new Promise<void>((resolve) => call.once("metadata", () => resolve()));
      const t0 = performance.now();
      await b.ingest("kvm02", [drift(1, "w-1", { remediation: "repaired", resolvedAtMs: 3_000 })]);
      await vi.waitFor(() => expect(got).toHaveLength(1), { timeout: 2_000, interval: 2 });
      expect(got[0]!.at - t0).toBeLessThan(1_000);
      expect(got[0]).toMatchObject({ id: "w-1", host: "kvm02", remediation: "repaired" });
      await new Promise((r) => setTimeout(r, 300));
      expect(got).toHaveLength(1);
    } finally {
      call.cancel();
      admin.close();
      client.close();
      server.forceShutdown();
    }
  });
});
