import { serveAgentService } from "../../harness/agent-grpc-server.js";
import * as grpc from "@grpc/grpc-js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger, fleetProto, silentLogger, type LoadedPolicy } from "../../../common/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import type { ControllerMessage__Output } from "../../../generated/proto/fleet/v1/ControllerMessage.js";
import { AgentService, DEFAULT_AGENT_SERVICE_OPTIONS, type ConnectCall } from "../../../controller/agents/index.js";
import { BundleService } from "../../../controller/bundles/index.js";
import { HostStore } from "../../../controller/hosts/index.js";
import { DriftFeed, EventStore, Ingestor, signalIngest } from "../../../controller/ingest/index.js";
import { PolicyRepository, PolicyRevisionLoader, PolicyStore } from "../../../controller/policies/index.js";
import { PgLeaderElection, PgSignals } from "../../../controller/replicas/index.js";
import { RolloutStore, type Rollout } from "../../../controller/rollout/index.js";
import { NotLeaderError, RolloutRunner } from "../../../controller/rollout-runner/index.js";
import { openTestStore, type TestStore } from "../../harness/postgres.js";
import { waitUntil } from "../../harness/processes.js";

// Two controller replicas in one process, as two processes would be: each its own PgDatabase
// pool, leader election, PgSignals, HostStore, AgentService (gRPC on loopback), policies,
// BundleService, Ingestor (+ signalIngest) and RolloutRunner, on one PostgreSQL test
// database. Agents are real gRPC streams answering each bundle with a Report.

const log = process.env.TEST_LOG ? createLogger("test", "debug") : silentLogger();

/** Policy `web` whose network bridge marks the revision, rolled out canary 1, then batches of 1. */
function webPolicy(bridge: string, soak: string): string {
  return [
    "apiVersion: virtfleet/v1",
    "kind: Policy",
    "metadata:",
    "  name: web",
    "spec:",
    "  mode: enforce",
    `  rollout: {canary: 1, batchSize: 1, soak: ${soak}, maxFailures: 0, onFailure: rollback}`,
    "  resources:",
    "    networks:",
    "      - name: web-net",
    "        mode: isolated",
    `        bridge: ${bridge}`,
    "",
  ].join("\n");
}

const authenticate = (call: ConnectCall) => ({
  ok: true as const,
  host: String(call.metadata.get("x-test-host")[0] ?? ""),
  notAfter: Date.now() + 86_400_000,
});

type Replica = Awaited<ReturnType<typeof startReplica>>;

async function startReplica(url: string, name: string, dir: string, reconnectMs = 50) {
  const db = await PgDatabase.connect({ url, max: 4 });
  const election = new PgLeaderElection(db, { replica: name, retryMs: 100, healthMs: 100, healthTimeoutMs: 1_000 });
  await election.start();
  const signals = await PgSignals.start(db, { replica: name, reconnectMs });
  // As the controller: every duty writes through the fencing check.
  const duties = election.fenced(db);
  const hosts = new HostStore(db);
  const policies = new PolicyRepository({
    dir,
    store: new PolicyStore(db),
    log,
    watch: false,
    leadership: election,
    signals,
  });
  await policies.start();
  const agents = new AgentService(hosts, log, {
    ...DEFAULT_AGENT_SERVICE_OPTIONS,
    flushIntervalMs: 100,
    replica: name,
    authenticate,
  });
  const bundles = new BundleService(db, hosts, policies, log);
  bundles.useSignals(signals);
  const runner = new RolloutRunner({
    db: duties,
    store: new RolloutStore(duties),
    policies,
    revisions: new PolicyRevisionLoader(policies),
    hosts,
    bundles,
    log,
    tickMs: 50,
    signals,
    role: election.state.leader ? "leader" : "follower",
  });
  await runner.attach(agents);
  await bundles.attach(agents);
  const leads = election.onChange((s) => {
    if (s.leader) void runner.lead();
  });
  const ingestor = new Ingestor(new EventStore(db), new DriftFeed(), log, { batchDelayMs: 1, maxBatch: 500 });
  const published = signalIngest(ingestor, signals, log);
  agents.use(ingestor);
  const { server, port } = await serveAgentService(agents);
  let stopped = false;
  return {
    name,
    db,
    signals,
    election,
    hosts,
    agents,
    policies,
    runner,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      leads();
      runner.stop();
      await election.stop();
      await policies.close();
      await agents.shutdown("test over");
      server.forceShutdown();
      await published.idle();
      await signals.stop();
      await db.close();
    },
  };
}

/** A real gRPC agent stream as `host`, answering every bundle with a converged Report of it. */
function agent(port: number, host: string) {
  const client = new (fleetProto().AgentService)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set("x-test-host", host);
  const call = client.Connect(metadata);
  const bundles: { bridge: string | undefined; generation: number; at: number }[] = [];
  let seq = 1;
  let eventSeq = 0;
  call.on("data", (m: ControllerMessage__Output) => {
    if (!m.bundle) return;
    const web = m.bundle.policies.find((p) => p.name === "web");
    const bridge = web ? /"bridge":"([^"]+)"/.exec(web.resolvedJson)?.[1] : undefined;
    bundles.push({ bridge, generation: m.bundle.generation, at: Date.now() });
    call.write({
      seq: ++seq,
      ack: 0,
      report: {
        eventSeq: ++eventSeq,
        generation: m.bundle.generation,
        bundleRevision: m.bundle.revision,
        trigger: "bundle",
        startedAtMs: Date.now(),
        durationMs: 1,
        dryRun: false,
        resources: web
          ? [{ kind: "network", name: "web-net", policy: "web", outcome: "ok", changesJson: "[]", error: "" }]
          : [],
      },
    });
  });
  call.on("error", () => undefined);
  call.write({
    seq: 1,
    ack: 0,
    hello: {
      hostName: host,
      agentVersion: "1",
      factsJson: "{}",
      factsFingerprint: "fp",
      lastControllerSeq: 0,
      startedAtMs: 1,
      bundleRevision: "",
    },
  });
  return {
    bundles,
    /** Sends a corrective drift event of web's network, repaired. */
    drift(id: string) {
      call.write({
        seq: ++seq,
        ack: 0,
        drift: {
          eventSeq: ++eventSeq,
          id,
          policy: "web",
          kind: "network",
          name: "web-net",
          fields: [{ field: "bridge", desiredJson: '"vfbr-w2"', actualJson: '"vfbr-x"' }],
          detectedAtMs: Date.now(),
          source: "event",
          remediation: "repaired",
          resolvedAtMs: Date.now(),
          classification: "corrective",
          detail: "",
        },
      });
    },
    /** The bridge of the newest bundle received (undefined: none, or without `web`). */
    bridge: () => bundles.at(-1)?.bridge,
    close() {
      call.end();
      client.close();
    },
  };
}

describe("rollouts on two replicas (PostgreSQL): the leader steps, the follower relays and mirrors", () => {
  let store: TestStore;
  let dir: string;
  const running: Replica[] = [];
  const streams: ReturnType<typeof agent>[] = [];

  beforeEach(async () => {
    store = await openTestStore("postgres");
    dir = mkdtempSync(join(tmpdir(), "vft-rollrelay-"));
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    for (const r of running.splice(0)) await r.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Replica a (the leader: it starts first) and b (a follower), web at v1 (bridge vfbr-w1). */
  const start = async (soak: string, leaderReconnectMs?: number) => {
    writeFileSync(join(dir, "web.yaml"), webPolicy("vfbr-w1", soak));
    const a = await startReplica(store.postgres!.url, "a", dir, leaderReconnectMs);
    running.push(a);
    const b = await startReplica(store.postgres!.url, "b", dir);
    running.push(b);
    expect([a.runner.role, b.runner.role]).toEqual(["leader", "follower"]);
    return { a, b };
  };

  /** `host`'s agent on `on`, holding v1 and reported (the v1 rollout had no hosts: all hold it). */
  const connect = async (on: Replica, host: string) => {
    const x = agent(on.port, host);
    streams.push(x);
    await waitUntil(`${host} on ${on.name}`, async () => (await on.hosts.streamOf(host))?.replica === on.name);
    await waitUntil(`${host} holds v1`, () => x.bridge() === "vfbr-w1");
    await waitUntil(`${host}'s report stored`, async () => (await on.hosts.observedGeneration(host)) === 1);
    return x;
  };

  /** web at v2 (bridge vfbr-w2), loaded by the leader `a`: its rollout starts. */
  const change = async (a: Replica, soak: string) => {
    writeFileSync(join(dir, "web.yaml"), webPolicy("vfbr-w2", soak));
    expect(await a.policies.reload()).toMatchObject({ accepted: true });
    const r = (await a.runner.rolloutOf("web"))!;
    expect(r.toRevision).toBe(webOf(a).revision);
    return r;
  };

  const webOf = (r: Replica): LoadedPolicy => r.policies.current().policies.find((p) => p.name === "web")!;
  const stored = async (id: string): Promise<Rollout> => (await new RolloutStore(store.db).load(id))!;

  it("hosts whose streams are on the follower step the leader's rollout: canary, soak, next batch, succeeded", async () => {
    const { a, b } = await start("300ms");
    const h1 = await connect(b, "kvm01");
    const h2 = await connect(b, "kvm02");
    const r = await change(a, "300ms");
    // Both targets are online (on b), not waiting offline for a stream the leader does not hold.
    expect(Object.values(r.hosts).map((h) => [h.name, h.online])).toEqual([
      ["kvm01", true],
      ["kvm02", true],
    ]);
    await waitUntil("the rollout succeeds", async () => (await stored(r.id)).state === "succeeded", 15_000);
    const done = await stored(r.id);
    expect(Object.values(done.hosts).map((h) => [h.name, h.phase])).toEqual([
      ["kvm01", "converged"],
      ["kvm02", "converged"],
    ]);
    // Canary first: kvm02 got v2 only after kvm01's stage converged and soaked.
    const canary = done.stages[1]!;
    expect(canary.hosts).toEqual(["kvm01"]);
    const v2At = (x: ReturnType<typeof agent>) => x.bundles.find((b) => b.bridge === "vfbr-w2")!.at;
    expect(v2At(h2)).toBeGreaterThanOrEqual(canary.finishedAt!);
    expect(v2At(h2) - v2At(h1)).toBeGreaterThanOrEqual(300);
    expect([h1.bridge(), h2.bridge()]).toEqual(["vfbr-w2", "vfbr-w2"]);
    // Only the leader stepped it: one rollout per revision.
    const ids = await store.db.all<{ id: string }>("SELECT id FROM rollouts WHERE policy = 'web' ORDER BY id");
    expect(ids.map((x) => x.id)).toEqual(["web@1", r.id]);
  }, 30_000);

  it("the follower's revisionHeldBy and rollouts follow the leader's within a second; its control() is refused", async () => {
    const { a, b } = await start("400ms");
    await connect(b, "kvm01");
    await connect(b, "kvm02");
    // Sampled every 10 ms: when each replica first answers v2 for each host.
    const seen = new Map<string, number>();
    let v2 = "";
    const sample = setInterval(() => {
      if (!v2) return;
      for (const [name, r] of [
        ["a", a],
        ["b", b],
      ] as const)
        for (const host of ["kvm01", "kvm02"]) {
          const key = `${name}:${host}`;
          if (!seen.has(key) && r.runner.revisionHeldBy(webOf(r), host) === v2) seen.set(key, Date.now());
        }
    }, 10);
    try {
      const r = await change(a, "400ms");
      v2 = r.toRevision;
      await waitUntil("b follows the policy", () => webOf(b).revision === v2);
      // The new policy's rollout holds kvm02 at v1 until its stage, on both replicas.
      await waitUntil("kvm01 at v2 on b", () => seen.has("b:kvm01"), 5_000);
      expect(b.runner.revisionHeldBy(webOf(b), "kvm02")).toBe(r.fromRevision);
      await waitUntil("kvm02 at v2 on b", () => seen.has("b:kvm02"), 10_000);
      for (const host of ["kvm01", "kvm02"])
        expect(seen.get(`b:${host}`)! - seen.get(`a:${host}`)!).toBeLessThan(1_000);
      // kvm02's stage came after the canary's soak, on b as on a.
      expect(seen.get("a:kvm02")! - seen.get("a:kvm01")!).toBeGreaterThanOrEqual(400);
      expect(seen.get("b:kvm02")!).toBeGreaterThan(seen.get("b:kvm01")!);
      await waitUntil("b sees it succeed", async () => (await b.runner.rolloutOf("web"))?.state === "succeeded");
      expect(b.runner.latestRollouts().map((x) => [x.id, x.state])).toEqual([[r.id, "succeeded"]]);
      await expect(b.runner.control("web", "pause", undefined)).rejects.toBeInstanceOf(NotLeaderError);
    } finally {
      clearInterval(sample);
    }
  }, 30_000);

  it("the follower takes over in the canary's soak: the rollout continues from its stage, not restarted", async () => {
    const { a, b } = await start("2s");
    const h1 = await connect(b, "kvm01");
    const h2 = await connect(b, "kvm02");
    const r = await change(a, "2s");
    await waitUntil("the canary soaks", async () => (await stored(r.id)).stages[1]!.soakUntil !== null, 10_000);
    const soaking = await stored(r.id);
    expect(h2.bridge()).toBe("vfbr-w1");
    await a.stop();
    await waitUntil("b leads", () => b.runner.role === "leader", 5_000);
    await waitUntil("the rollout succeeds under b", async () => (await stored(r.id)).state === "succeeded", 15_000);
    const done = await stored(r.id);
    // The same rollout, its canary stage as it was (started once, soaked once), then the batch.
    expect(done.id).toBe(soaking.id);
    expect(done.stages[1]).toMatchObject({ startedAt: soaking.stages[1]!.startedAt, state: "succeeded" });
    // Its soak ended when it was stored to end (not a new soak from the takeover).
    expect(done.stages[1]!.finishedAt!).toBeGreaterThanOrEqual(soaking.stages[1]!.soakUntil!);
    expect(done.stages[1]!.finishedAt! - soaking.stages[1]!.soakUntil!).toBeLessThan(1_000);
    const v2At = h2.bundles.find((x) => x.bridge === "vfbr-w2")!.at;
    expect(v2At).toBeGreaterThanOrEqual(soaking.stages[1]!.soakUntil!);
    // kvm01 was not sent v2 again (v1, then v2 once).
    expect(h1.bundles.map((x) => x.bridge)).toEqual(["vfbr-w1", "vfbr-w2"]);
    const ids = await store.db.all<{ id: string }>("SELECT id FROM rollouts WHERE policy = 'web' ORDER BY id");
    expect(ids.map((x) => x.id)).toEqual(["web@1", r.id]);
  }, 30_000);

  it("a takeover takes from the store what the old leader missed (a delivery and a report it never heard of)", async () => {
    const { a, b } = await start("300ms");
    await connect(b, "kvm01");
    await connect(b, "kvm02");
    // a no longer hears other replicas (its listening connection is gone); it still publishes.
    await a.signals.stop();
    const r = await change(a, "300ms");
    await waitUntil("kvm01's v2 report stored", async () => (await b.hosts.observedGeneration("kvm01")) === 2);
    await new Promise((res) => setTimeout(res, 300));
    expect((await stored(r.id)).hosts.kvm01).toMatchObject({ phase: "sent", expectGeneration: null });
    await a.stop();
    await waitUntil("b leads", () => b.runner.role === "leader", 5_000);
    await waitUntil("the rollout succeeds under b", async () => (await stored(r.id)).state === "succeeded", 15_000);
    expect((await stored(r.id)).hosts.kvm01).toMatchObject({ phase: "converged", expectGeneration: 2 });
  }, 30_000);

  it("a host that moved to another replica is not taken offline by its old stream's end; swept hosts are", async () => {
    const { a, b } = await start("30s");
    const old = await connect(b, "kvm01");
    const k2 = await connect(b, "kvm02");
    const r = await change(a, "30s");
    await waitUntil("the canary soaks", async () => (await stored(r.id)).stages[1]!.soakUntil !== null, 10_000);
    // kvm01 reconnects on a (the leader); then its old stream on b ends: b says offline.
    streams.push(agent(a.port, "kvm01"));
    await waitUntil("kvm01 on a", async () => (await a.hosts.streamOf("kvm01"))?.replica === "a");
    old.close();
    await waitUntil("b saw the old stream end", () => b.agents.session("kvm01") === undefined);
    await new Promise((res) => setTimeout(res, 500));
    expect((await a.runner.rolloutOf("web"))!.hosts.kvm01!.online).toBe(true);
    // kvm02's stream on b ends and it is nowhere else: offline.
    k2.close();
    await waitUntil("kvm02 offline", async () => (await a.runner.rolloutOf("web"))!.hosts.kvm02!.online === false);
    expect((await a.runner.rolloutOf("web"))!.hosts.kvm01!.online).toBe(true);
    // The stale-stream sweep's hosts: offline unless their row shows them connected.
    a.runner.hostsDisconnected(["kvm01"]);
    await new Promise((res) => setTimeout(res, 300));
    expect((await a.runner.rolloutOf("web"))!.hosts.kvm01!.online).toBe(true);
    await store.db.run("UPDATE hosts SET connected = 0 WHERE name = 'kvm01'");
    a.runner.hostsDisconnected(["kvm01"]);
    await waitUntil("kvm01 offline", async () => (await a.runner.rolloutOf("web"))!.hosts.kvm01!.online === false);
  }, 30_000);

  it("a leader whose listening connection was lost takes what it missed from the store once it is back", async () => {
    // a reconnects its listening connection 1.5 s after losing it.
    const { a, b } = await start("300ms", 1_500);
    await connect(b, "kvm01");
    await connect(b, "kvm02");
    await a.db.run(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?",
      ["virtfleet-signals-a"],
    );
    const r = await change(a, "300ms");
    // kvm01's delivery and report on b are signalled while a cannot hear.
    await waitUntil("kvm01's v2 report stored", async () => (await b.hosts.observedGeneration("kvm01")) === 2);
    expect((await stored(r.id)).hosts.kvm01).toMatchObject({ phase: "sent", expectGeneration: null });
    await waitUntil("the rollout succeeds", async () => (await stored(r.id)).state === "succeeded", 15_000);
    expect(a.runner.role).toBe("leader");
  }, 30_000);

  it("drift stored by the follower during the canary's soak fails the canary on the leader", async () => {
    const { a, b } = await start("30s");
    const h1 = await connect(b, "kvm01");
    await connect(b, "kvm02");
    const r = await change(a, "30s");
    await waitUntil("the canary soaks", async () => (await stored(r.id)).stages[1]!.soakUntil !== null, 10_000);
    h1.drift("d-kvm01-1");
    await waitUntil("the canary failed", async () => (await stored(r.id)).hosts.kvm01!.phase !== "converged", 5_000);
    const after = await stored(r.id);
    expect(after.hosts.kvm01!.reason).toContain("drift of network/web-net (bridge), repaired");
    expect(after.hosts.kvm02!.receivedNew).toBe(false);
    expect(a.runner.role).toBe("leader");
  }, 30_000);

  it("`host remove` on the follower takes the host out of the leader's rollout", async () => {
    const { a, b } = await start("30s");
    await connect(b, "kvm01");
    await connect(b, "kvm02");
    const r = await change(a, "30s");
    await waitUntil("the canary soaks", async () => (await stored(r.id)).stages[1]!.soakUntil !== null, 10_000);
    expect(await b.runner.removeHost("kvm02")).toEqual([r.id]);
    await waitUntil("kvm02 left the rollout", async () => (await stored(r.id)).hosts.kvm02 === undefined, 5_000);
    expect((await stored(r.id)).hosts.kvm01!.phase).toBe("converged");
  }, 30_000);
});
