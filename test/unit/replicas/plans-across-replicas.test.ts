import { serveAgentService } from "../../harness/agent-grpc-server.js";
import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fleetProto, loadPolicySources, silentLogger, type LoadedPolicy } from "../../../common/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import type { ControllerMessage__Output } from "../../../generated/proto/fleet/v1/ControllerMessage.js";
import { AgentService, DEFAULT_AGENT_SERVICE_OPTIONS } from "../../../controller/agents/index.js";
import { BundleService } from "../../../controller/bundles/index.js";
import { HostStore } from "../../../controller/hosts/index.js";
import { PlanRequester, PlanRequestStore, PlanRouter, type PlanAnswer } from "../../../controller/plan/index.js";
import type { PolicySet } from "../../../controller/policies/index.js";
import { PgSignals, StoreClock, type ReplicaSignals } from "../../../controller/replicas/index.js";
import { planFleet } from "../../../controller/rollout-runner/index.js";
import { waitUntil } from "../../harness/processes.js";
import { openTestStore, type TestStore } from "../../harness/postgres.js";
import { policyYaml } from "../policies/fixtures.js";

// Plans across two controller replicas in one process, as two processes would be: each its own
// PgDatabase pool, PgSignals, store clock, HostStore, AgentService (gRPC on loopback),
// PlanRequester and PlanRouter, on one PostgreSQL test database. Agents are real gRPC streams
// that answer (or not) the Command.plan they are sent.

const log = silentLogger();

const BUNDLE = {
  revision: "b1",
  generation: 1,
  policies: [{ name: "a", revision: "p1", mode: "enforce", resolvedJson: "{}" }],
};

/** What a fake agent's dry-run finds: one network to create. */
const PLANNED_RESOURCE = {
  kind: "network",
  name: "net-a",
  policy: "a",
  outcome: "drift",
  changesJson: JSON.stringify([{ field: "state", from: "absent", to: "active", disruption: "live" }]),
  error: "",
  pendingRestart: false,
};

/** `drop` signals published on `channel` are never sent (a publisher that died after its commit). */
function dropping(signals: ReplicaSignals, channel: string): ReplicaSignals & { dropped: number } {
  const out = Object.create(signals) as ReplicaSignals & { dropped: number };
  out.dropped = 0;
  out.publish = async (ch, ids, tx) => {
    if (ch === channel) {
      out.dropped++;
      return;
    }
    return signals.publish(ch, ids, tx);
  };
  return out;
}

interface ReplicaOptions {
  /** Wraps the replica's signals as its PlanRouter sees them. */
  routerSignals?: (s: ReplicaSignals) => ReplicaSignals;
  pollMs?: number;
}

type Replica = Awaited<ReturnType<typeof startReplica>>;

async function startReplica(url: string, name: string, policies: PolicySetSourceLike, o: ReplicaOptions = {}) {
  const db = await PgDatabase.connect({ url, max: 4 });
  const signals = await PgSignals.start(db, { replica: name, reconnectMs: 50 });
  const clock = await StoreClock.start(db);
  const hosts = new HostStore(db);
  const agents = new AgentService(hosts, log, {
    ...DEFAULT_AGENT_SERVICE_OPTIONS,
    flushIntervalMs: 100,
    replica: name,
    authenticate: (call) => ({
      ok: true,
      host: String(call.metadata.get("x-test-host")[0] ?? ""),
      notAfter: Date.now() + 86_400_000,
    }),
  });
  const requester = new PlanRequester(log);
  agents.use(requester.hooks());
  const bundles = new BundleService(db, hosts, policies, log);
  await bundles.attach(agents);
  const requests = new PlanRequestStore(db);
  const router = new PlanRouter({
    agents,
    requester,
    replicas: {
      signals: o.routerSignals ? o.routerSignals(signals) : signals,
      hosts,
      store: requests,
      now: () => clock.now(),
      pollMs: o.pollMs,
    },
    log,
  });
  router.start();
  const { server, port } = await serveAgentService(agents);
  return {
    name,
    db,
    signals,
    hosts,
    agents,
    bundles,
    requester,
    router,
    port,
    async stop() {
      router.stop();
      requester.close();
      await agents.shutdown("test over");
      server.forceShutdown();
      clock.stop();
      await signals.stop();
      await db.close();
    },
  };
}

type PolicySetSourceLike = ConstructorParameters<typeof BundleService>[2];

/** The policies in force, shared by both replicas (each would read them from the store). */
function policySource(): PolicySetSourceLike & { policy: LoadedPolicy } {
  const r = loadPolicySources([{ file: "a.yaml", text: policyYaml("a") }]);
  expect(r.errors).toEqual([]);
  const set: PolicySet = { policies: r.policies as LoadedPolicy[], inventory: r.inventory };
  return { current: () => set, onChange: () => () => undefined, policy: set.policies[0]! };
}

/**
 * A real gRPC agent stream that said Hello as `host`; on Command.plan it answers with a
 * PlanResult ("answer"), says nothing ("silent"), or ends its stream ("close").
 */
function agent(port: number, host: string, onPlan: "answer" | "silent" | "close" = "answer") {
  const client = new (fleetProto().AgentService)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set("x-test-host", host);
  const call = client.Connect(metadata);
  const got: ControllerMessage__Output[] = [];
  let seq = 1;
  call.on("data", (m: ControllerMessage__Output) => {
    got.push(m);
    const plan = m.command?.plan;
    if (!plan) return;
    if (onPlan === "close") {
      call.cancel();
      client.close();
    } else if (onPlan === "answer") {
      call.write({
        seq: ++seq,
        ack: 0,
        planResult: {
          commandId: m.command!.id,
          bundleRevision: plan.bundle?.revision ?? "",
          resources: [PLANNED_RESOURCE],
          error: "",
          durationMs: 7,
        },
      });
    }
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
    got,
    plans: () => got.filter((m) => m.command?.plan).length,
    close() {
      call.end();
      client.close();
    },
  };
}

describe("plans across two replicas (PostgreSQL)", () => {
  let store: TestStore;
  const running: Replica[] = [];
  const agents: ReturnType<typeof agent>[] = [];
  let policies: ReturnType<typeof policySource>;
  let a: Replica;
  let b: Replica;

  const start = async (name: string, o?: ReplicaOptions) => {
    const r = await startReplica(store.postgres!.url, name, policies, o);
    running.push(r);
    return r;
  };

  beforeEach(async () => {
    store = await openTestStore("postgres");
    policies = policySource();
  });
  afterEach(async () => {
    for (const x of agents.splice(0)) x.close();
    for (const r of running.splice(0)) await r.stop();
    await store.close();
  });

  const connect = async (on: Replica, host: string, onPlan?: "answer" | "silent" | "close") => {
    const x = agent(on.port, host, onPlan);
    agents.push(x);
    await waitUntil(`${host} welcomed by ${on.name}`, () => x.got.some((m) => m.welcome) && !!on.agents.session(host));
    await waitUntil(`${host}'s Hello committed`, async () => (await on.hosts.streamOf(host))?.replica === on.name);
    return x;
  };
  const rows = async () => Number((await store.db.get<{ n: number }>("SELECT count(*) AS n FROM plan_requests"))!.n);
  const planned = (durationMs = 7): PlanAnswer => ({
    status: "planned",
    durationMs,
    resources: [
      {
        kind: "network",
        name: "net-a",
        policy: "a",
        outcome: "drift",
        changes: [{ field: "state", from: "absent", to: "active", disruption: "live" }],
        error: "",
        pendingRestart: false,
      },
    ],
  });

  it("a plan asked on A of a host whose stream is on B comes back planned with the agent's resources; the row is gone", async () => {
    a = await start("a");
    b = await start("b");
    const x = await connect(b, "kvm01");
    const t0 = Date.now();
    expect(await a.router.plan("kvm01", BUNDLE, 5_000)).toEqual(planned());
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(x.plans()).toBe(1);
    await waitUntil("the request row deleted", async () => (await rows()) === 0);
    expect(a.router.waitingCount).toBe(0);
    // The whole fleet from A: its own stream, B's, and a host connected nowhere.
    await connect(a, "kvm02");
    const plan = await planFleet(
      { bundles: a.bundles, planner: a.router, startedAt: 0 },
      policies.policy,
      null,
      ["kvm01", "kvm02", "kvm03"],
      5_000,
    );
    expect(Object.fromEntries(plan.hosts.map((h) => [h.name, h.status]))).toEqual({
      kvm01: "planned",
      kvm02: "planned",
      kvm03: "offline",
    });
    await waitUntil("no row left", async () => (await rows()) === 0);
  });

  it("requests made together are signalled once; B answers each; A reads the answers heard together", async () => {
    a = await start("a");
    b = await start("b");
    const hosts = ["kvm11", "kvm12", "kvm13", "kvm14"];
    for (const h of hosts) await connect(b, h);
    const heard: string[][] = [];
    const off = b.signals.subscribe("plan", (s) => {
      if (s.from === "a") heard.push(s.ids);
    });
    const answers = await Promise.all(hosts.map((h) => a.router.plan(h, BUNDLE, 5_000)));
    off();
    expect(answers).toEqual(hosts.map(() => planned()));
    expect(heard).toHaveLength(1);
    expect(heard[0]!.map((id) => id.slice(id.indexOf(":") + 1))).toEqual(hosts);
    await waitUntil("the request rows deleted", async () => (await rows()) === 0);
  });

  it("an agent on B that does not answer: timeout at the deadline, and no row is left", async () => {
    a = await start("a");
    b = await start("b");
    const x = await connect(b, "kvm01", "silent");
    const t0 = Date.now();
    expect(await a.router.plan("kvm01", BUNDLE, 1_500)).toEqual({ status: "timeout" });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1_450);
    expect(took).toBeLessThan(2_500);
    expect(x.plans()).toBe(1);
    await waitUntil("the request row deleted", async () => (await rows()) === 0);
  });

  it("the host's stream closing on B mid-request: offline, long before the deadline", async () => {
    a = await start("a");
    b = await start("b");
    await connect(b, "kvm01", "close");
    const t0 = Date.now();
    expect(await a.router.plan("kvm01", BUNDLE, 10_000)).toEqual({ status: "offline" });
    expect(Date.now() - t0).toBeLessThan(3_000);
    await waitUntil("the request row deleted", async () => (await rows()) === 0);
  });

  it("a lost plan_answer signal: A reads the answer at its next poll", async () => {
    a = await start("a");
    let lossy: ReturnType<typeof dropping> | undefined;
    b = await start("b", {
      routerSignals: (s) => {
        lossy = dropping(s, "plan_answer");
        return lossy;
      },
    });
    await connect(b, "kvm01");
    const t0 = Date.now();
    expect(await a.router.plan("kvm01", BUNDLE, 10_000)).toEqual(planned());
    const took = Date.now() - t0;
    expect(lossy!.dropped).toBe(1);
    // answered within a poll (1 s), not at the deadline
    expect(took).toBeLessThan(2_500);
    await waitUntil("the request row deleted", async () => (await rows()) === 0);
  });

  it("a lost plan signal: B answers the open request when its signal connection is back", async () => {
    let lossy: ReturnType<typeof dropping> | undefined;
    a = await start("a", {
      routerSignals: (s) => {
        lossy = dropping(s, "plan");
        return lossy;
      },
    });
    b = await start("b");
    const x = await connect(b, "kvm01");
    const answer = a.router.plan("kvm01", BUNDLE, 10_000);
    await waitUntil("the request stored", async () => (await rows()) === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(x.plans()).toBe(0);
    await store.db.run(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?",
      ["virtfleet-signals-b"],
    );
    expect(await answer).toEqual(planned());
    expect(lossy!.dropped).toBe(1);
  });

  it("a host connected nowhere is offline at once and stores nothing; stale rows are pruned", async () => {
    a = await start("a");
    b = await start("b");
    const x = await connect(b, "kvm01");
    x.close();
    await waitUntil("kvm01 disconnected", async () => (await a.hosts.streamOf("kvm01"))?.connected === false);
    expect(await a.router.plan("kvm01", BUNDLE, 5_000)).toEqual({ status: "offline" });
    expect(await a.router.plan("nobody", BUNDLE, 5_000)).toEqual({ status: "offline" });
    expect(await rows()).toBe(0);
    // A row whose requester died, well past its deadline; and a fresh one.
    const requests = new PlanRequestStore(store.db);
    const now = Date.now();
    await requests.insert(
      { id: "old", host: "kvm01", bundleJson: "{}", requestedBy: "c", deadline: now - 120_000 },
      now,
    );
    await requests.insert({ id: "new", host: "kvm01", bundleJson: "{}", requestedBy: "c", deadline: now + 5_000 }, now);
    expect(await a.router.prune()).toBe(1);
    expect((await requests.get("new"))?.host).toBe("kvm01");
  });

  it("while the controller is young, a target that connects to B within the grace is planned", async () => {
    a = await start("a");
    b = await start("b");
    setTimeout(() => void connect(b, "kvm05"), 500);
    const plan = await planFleet(
      { bundles: a.bundles, planner: a.router, startedAt: Date.now() },
      policies.policy,
      null,
      ["kvm05"],
      8_000,
    );
    expect(plan.hosts.map((h) => [h.name, h.status])).toEqual([["kvm05", "planned"]]);
  });

  it("a malformed answer stored by the holder is that host's error, not a crash", async () => {
    a = await start("a");
    b = await start("b");
    await connect(b, "kvm01", "silent");
    const requests = new PlanRequestStore(store.db);
    const answer = a.router.plan("kvm01", BUNDLE, 10_000);
    let id = "";
    await waitUntil("the request stored", async () => {
      id = (await store.db.get<{ id: string }>("SELECT id FROM plan_requests"))?.id ?? "";
      return id !== "";
    });
    expect(await requests.answer(id, '{"status":"planned","resources":[{"kind":"nope"}]}', Date.now())).toBe(true);
    await b.signals.publish("plan_answer", [id]);
    const got = await answer;
    expect(got.status).toBe("error");
    expect(got.status === "error" && got.error).toMatch(/unreadable/);
  });
});
