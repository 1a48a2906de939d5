import { serveAgentService } from "../../harness/agent-grpc-server.js";
import { waitUntil } from "../../harness/processes.js";
import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  fleetProto,
  loadPolicySources,
  silentLogger,
  type LoadedPolicy,
  type Queryable,
} from "../../../common/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import type { ControllerMessage__Output } from "../../../generated/proto/fleet/v1/ControllerMessage.js";
import {
  AgentService,
  DEFAULT_AGENT_SERVICE_OPTIONS,
  StreamRelay,
  type ConnectCall,
  type StreamIdentity,
} from "../../../controller/agents/index.js";
import { BundleService } from "../../../controller/bundles/index.js";
import { HostStore } from "../../../controller/hosts/index.js";
import { CertificateRegistry } from "../../../controller/pki/index.js";
import type { PolicySet } from "../../../controller/policies/index.js";
import { PgSignals } from "../../../controller/replicas/index.js";
import { openTestStore, type TestStore } from "../../harness/postgres.js";
import { policyYaml } from "../policies/fixtures.js";

// Two controller replicas in one process, as two processes would be: each its own PgDatabase
// pool, PgSignals, HostStore, AgentService (gRPC on loopback), BundleService, certificate
// registry and StreamRelay, on one PostgreSQL test database. Agents are real gRPC streams.

const log = silentLogger();

/** The policies in force, shared by both replicas (each would read them from the store). */
function policySource() {
  let set: PolicySet = { policies: [], inventory: loadPolicySources([]).inventory };
  return {
    source: { current: () => set, onChange: () => () => undefined },
    use(...texts: [string, string][]) {
      const r = loadPolicySources(texts.map(([file, text]) => ({ file, text })));
      expect(r.errors).toEqual([]);
      set = { policies: r.policies as LoadedPolicy[], inventory: r.inventory };
    },
  };
}

/**
 * The stream's identity as secure mode would give it, from the registry's memory (as
 * ControllerPki.agentOf does): here the host comes from a header (plaintext loopback) and its
 * certificate's serial is `serialOf(host)`.
 */
function authenticate(registry: CertificateRegistry, call: ConnectCall): StreamIdentity {
  const host = String(call.metadata.get("x-test-host")[0] ?? "");
  if (registry.isRevoked(serialOf(host))) return { ok: false, reason: "certificate revoked" };
  return { ok: true, host, notAfter: Date.now() + 86_400_000 };
}

const serialOf = (host: string) => Buffer.from(host).toString("hex");

type Replica = Awaited<ReturnType<typeof startReplica>>;

async function startReplica(url: string, name: string, policies: ReturnType<typeof policySource>["source"]) {
  const db = await PgDatabase.connect({ url, max: 4 });
  const signals = await PgSignals.start(db, { replica: name, reconnectMs: 50 });
  const hosts = new HostStore(db);
  const registry = await CertificateRegistry.open(db);
  const agents = new AgentService(hosts, log, {
    ...DEFAULT_AGENT_SERVICE_OPTIONS,
    flushIntervalMs: 100,
    replica: name,
    authenticate: (call) => authenticate(registry, call),
  });
  const bundles = new BundleService(db, hosts, policies, log);
  bundles.useSignals(signals);
  await bundles.attach(agents);
  const relay = new StreamRelay({ agents, signals, hosts, refreshRevocations: () => registry.refresh(), log });
  relay.start();
  const { server, port } = await serveAgentService(agents);
  return {
    name,
    db,
    signals,
    hosts,
    agents,
    bundles,
    registry,
    relay,
    port,
    async stop() {
      relay.stop();
      await agents.shutdown("test over");
      server.forceShutdown();
      await signals.stop();
      await db.close();
    },
  };
}

/** A real gRPC agent stream that said Hello as `host` holding `bundleRevision`. */
function agent(port: number, host: string, bundleRevision = "") {
  const client = new (fleetProto().AgentService)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set("x-test-host", host);
  const call = client.Connect(metadata);
  const got: ControllerMessage__Output[] = [];
  let ended: grpc.ServiceError | undefined;
  call.on("data", (m: ControllerMessage__Output) => got.push(m));
  call.on("error", (e: grpc.ServiceError) => {
    ended = e;
  });
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
      bundleRevision,
    },
  });
  return {
    got,
    bundles: () => got.filter((m) => m.bundle).map((m) => m.bundle!),
    commands: () => got.filter((m) => m.command).map((m) => m.command!),
    ended: () => ended,
    close() {
      call.end();
      client.close();
    },
  };
}

describe("streams, bundles and revocation across two replicas (PostgreSQL)", () => {
  let store: TestStore;
  const running: Replica[] = [];
  const agents: ReturnType<typeof agent>[] = [];
  let policies: ReturnType<typeof policySource>;
  let a: Replica;
  let b: Replica;

  beforeEach(async () => {
    store = await openTestStore("postgres");
    policies = policySource();
    policies.use(["a.yaml", policyYaml("a")]);
    a = await startReplica(store.postgres!.url, "a", policies.source);
    b = await startReplica(store.postgres!.url, "b", policies.source);
    running.push(a, b);
  });
  afterEach(async () => {
    for (const x of agents.splice(0)) x.close();
    for (const r of running.splice(0)) await r.stop();
    await store.close();
  });

  const connect = async (on: Replica, host: string, bundleRevision = "") => {
    const x = agent(on.port, host, bundleRevision);
    agents.push(x);
    await waitUntil(`${host} welcomed by ${on.name}`, () => x.got.some((m) => m.welcome) && !!on.agents.session(host));
    // The Welcome is sent inside the Hello's transaction: wait for its commit.
    await waitUntil(`${host}'s Hello committed`, async () => (await on.hosts.streamOf(host))?.replica === on.name);
    return x;
  };

  it("records which replica holds each stream; a bundle stored on A reaches the stream on B within a second, once", async () => {
    const x = await connect(b, "kvm01");
    await waitUntil("first bundle", () => x.bundles().length === 1);
    expect(await b.hosts.streamOf("kvm01")).toEqual({ connected: true, replica: "b" });
    // A, which does not hold the stream, decides a new bundle (a rollout step does this, in a transaction).
    policies.use(["a.yaml", policyYaml("a", { bridge: "vfbr9" })]);
    const start = Date.now();
    await a.hosts.inTransaction((tx: Queryable) => a.bundles.deliverHost("kvm01", tx));
    await waitUntil("the new bundle on B's stream", () => x.bundles().length === 2);
    expect(Date.now() - start).toBeLessThan(1_000);
    const stored = (await a.bundles.bundles.get("kvm01"))!;
    expect(x.bundles()[1]).toMatchObject({ revision: stored.revision, generation: 2 });
    await waitUntil("marked sent", async () => (await a.bundles.bundles.get("kvm01"))!.sentAt !== null);
    // Deciding the same bundle again announces nothing; a repeated signal sends nothing twice.
    await a.hosts.inTransaction((tx: Queryable) => a.bundles.deliverHost("kvm01", tx));
    await a.signals.publish("bundle", ["kvm01"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(x.bundles()).toHaveLength(2);
  });

  it("bundles stored on A for several hosts are announced in one signal; B sends each and marks them sent in one batch", async () => {
    const hosts = ["kvm01", "kvm02", "kvm03"];
    const xs: Awaited<ReturnType<typeof connect>>[] = [];
    for (const h of hosts) xs.push(await connect(b, h));
    await waitUntil("first bundles", () => xs.every((x) => x.bundles().length === 1));
    const heard: string[][] = [];
    const unsubscribe = b.signals.subscribe("bundle", (s) => {
      if (s.from === "a") heard.push(s.ids);
    });
    policies.use(["a.yaml", policyYaml("a", { bridge: "vfbr6" })]);
    await a.hosts.inTransaction((tx: Queryable) => a.bundles.deliverHosts(hosts, tx));
    await waitUntil("the new bundles on B's streams", () => xs.every((x) => x.bundles().length === 2));
    unsubscribe();
    expect(heard).toEqual([hosts]);
    const stored = await a.bundles.bundles.getMany(hosts);
    for (const [i, h] of hosts.entries())
      expect(xs[i]!.bundles()[1]).toMatchObject({ revision: stored.get(h)!.revision, generation: 2 });
    await waitUntil("all marked sent", async () =>
      [...(await a.bundles.bundles.getMany(hosts)).values()].every((x) => x.sentAt !== null),
    );
  });

  it("an announcement in a rolled-back transaction is never heard", async () => {
    const x = await connect(b, "kvm01");
    await waitUntil("first bundle", () => x.bundles().length === 1);
    policies.use(["a.yaml", policyYaml("a", { bridge: "vfbr8" })]);
    await expect(
      a.hosts.inTransaction(async (tx: Queryable) => {
        await a.bundles.deliverHost("kvm01", tx);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    await new Promise((r) => setTimeout(r, 300));
    expect(x.bundles()).toHaveLength(1);
    expect((await a.bundles.bundles.get("kvm01"))!.generation).toBe(1);
  });

  it("after its signal connection was cut, a replica re-sends every stored bundle its streams lack", async () => {
    const x = await connect(b, "kvm01");
    const y = await connect(b, "kvm02");
    await waitUntil("first bundles", () => x.bundles().length === 1 && y.bundles().length === 1);
    // Stored on A without an announcement (as if the signal was lost).
    policies.use(["a.yaml", policyYaml("a", { bridge: "vfbr7" })]);
    await a.bundles.refresh("kvm01");
    await new Promise((r) => setTimeout(r, 200));
    expect(x.bundles()).toHaveLength(1);
    await a.db.run(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?",
      ["virtfleet-signals-b"],
    );
    await waitUntil("the stored bundle re-sent after the resync", () => x.bundles().length === 2);
    expect(x.bundles()[1]!.generation).toBe(2);
    // kvm02's stored bundle did not change: nothing re-sent.
    expect(y.bundles()).toHaveLength(1);
  });

  it("a revocation on A cuts the host's stream on B within a second, and B refuses the certificate", async () => {
    const serial = serialOf("kvm02");
    await a.registry.record({
      serial,
      kind: "agent",
      name: "kvm02",
      role: "",
      fingerprint: "ff".repeat(32),
      notBefore: Date.now() - 1_000,
      notAfter: Date.now() + 86_400_000,
      issuedAt: Date.now(),
    });
    const x = await connect(b, "kvm02");
    expect(b.registry.isRevoked(serial)).toBe(false);
    const start = Date.now();
    expect(await a.registry.revoke("agent", "kvm02", "stolen", Date.now())).toEqual([serial]);
    expect(await a.relay.revoked(["kvm02"], "certificate revoked: stolen")).toBe(false);
    await waitUntil("B's stream cut", () => x.ended() !== undefined);
    expect(Date.now() - start).toBeLessThan(1_000);
    expect(x.ended()!.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(b.registry.isRevoked(serial)).toBe(true);
    expect(b.agents.session("kvm02")).toBeUndefined();
    await waitUntil("recorded disconnected", async () => (await a.hosts.streamOf("kvm02"))?.connected === false);
  });

  it("a revocation whose signal B missed ends B's stream when B's signal connection is back", async () => {
    await a.registry.record({
      serial: serialOf("kvm06"),
      kind: "agent",
      name: "kvm06",
      role: "",
      fingerprint: "dd".repeat(32),
      notBefore: Date.now() - 1_000,
      notAfter: Date.now() + 86_400_000,
      issuedAt: Date.now(),
    });
    const x = await connect(b, "kvm06");
    const y = await connect(b, "kvm07");
    // Revoked on A, its signal lost (never published here).
    await a.registry.revoke("agent", "kvm06", "lost signal", Date.now());
    await new Promise((r) => setTimeout(r, 200));
    expect(x.ended()).toBeUndefined();
    await a.db.run(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?",
      ["virtfleet-signals-b"],
    );
    await waitUntil("B's stream of the revoked host ended after the resync", () => x.ended() !== undefined);
    expect(x.ended()!.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(b.agents.session("kvm07")).toBeDefined();
    expect(y.ended()).toBeUndefined();
  });

  it("an admin's revocation on A is refused on B within a second", async () => {
    const serial = "0d0e0f";
    await a.registry.record({
      serial,
      kind: "admin",
      name: "alice",
      role: "admin",
      fingerprint: "ee".repeat(32),
      notBefore: Date.now() - 1_000,
      notAfter: Date.now() + 86_400_000,
      issuedAt: Date.now(),
    });
    await a.registry.revoke("admin", "alice", "left", Date.now());
    await a.relay.adminRevoked("alice");
    expect(await waitUntil("B refuses alice", () => b.registry.isRevoked(serial), 2_000)).toBeLessThan(1_000);
  });

  it("resync of a host held by B, asked on A, is forwarded and sent by B", async () => {
    const x = await connect(b, "kvm03");
    expect(await a.relay.resync("kvm03")).toBe("forwarded");
    expect(await waitUntil("the resync command on B's stream", () => x.commands().some((c) => c.resync))).toBeLessThan(
      1_000,
    );
    expect(await b.relay.resync("kvm03")).toBe("sent");
    expect(await a.relay.resync("nobody")).toBe("not-connected");
    // Many at once: one read, one signal; a host known but not connected anywhere is not forwarded.
    const y = await connect(a, "kvm08");
    await connect(b, "kvm09");
    agents.at(-1)!.close();
    await waitUntil("kvm09 disconnected", async () => (await a.hosts.streamOf("kvm09"))?.connected === false);
    expect(await a.relay.resyncMany(["kvm03", "kvm08", "kvm09", "nobody"])).toEqual({
      sent: ["kvm08"],
      forwarded: ["kvm03"],
      notConnected: ["kvm09", "nobody"],
    });
    await waitUntil("the third resync on B's stream", () => x.commands().filter((c) => c.resync).length === 3);
    expect(y.commands().filter((c) => c.resync)).toHaveLength(1);
  });

  it("an agent moving from B to A: the old stream's end leaves it connected on A; a restart of B touches only B's hosts", async () => {
    const old = await connect(b, "kvm04");
    await connect(b, "kvm05");
    await connect(a, "kvm04");
    expect(await a.hosts.streamOf("kvm04")).toEqual({ connected: true, replica: "a" });
    old.close();
    await waitUntil("B forgot its old stream", () => b.agents.session("kvm04") === undefined);
    await b.hosts.flush();
    expect(await a.hosts.streamOf("kvm04")).toEqual({ connected: true, replica: "a" });
    // B crashed (nothing written) and starts again: only its own hosts are marked disconnected.
    expect(await new HostStore(store.db).markAllDisconnected("controller restarted", "b")).toBe(1);
    expect(await a.hosts.streamOf("kvm04")).toEqual({ connected: true, replica: "a" });
    expect(await a.hosts.streamOf("kvm05")).toEqual({ connected: false, replica: "b" });
  });
});
