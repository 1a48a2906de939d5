import { afterEach, describe, expect, it } from "vitest";
import { Enforcer, type RunSummary } from "../../../agent/enforce/index.js";
import type { CheckResult, Resource } from "../../../engine/index.js";
import type { Hypervisor } from "../../../libvirt/index.js";
import { AgentStore } from "../../../agent/state/index.js";
import { silentLogger, type DomainSpec, type ResolvedPolicy } from "../../../common/index.js";
import { tinyDomainSpec } from "../../harness/specs.js";

// The Enforcer's scheduling with fake resources (no libvirt): one run at a time, triggers
// merged, flap guard applied, bad bundles rejected.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class FakeDomain implements Resource {
  readonly kind = "domain" as const;
  readonly dependsOn = [];
  readonly removing = false;
  constructor(
    readonly name: string,
    readonly policy: string,
    private readonly world: World,
    readonly spec?: DomainSpec,
  ) {}
  async checkApply(_s: AbortSignal, apply: boolean): Promise<CheckResult> {
    this.world.active += 1;
    this.world.maxActive = Math.max(this.world.maxActive, this.world.active);
    await sleep(this.world.delayMs);
    this.world.active -= 1;
    if (this.world.running.has(this.name)) return { changes: [] };
    if (apply) this.world.running.add(this.name);
    return { changes: [{ field: "state", from: "shutoff", to: "running", disruption: "live" }] };
  }
}

interface World {
  running: Set<string>;
  active: number;
  maxActive: number;
  delayMs: number;
}

const dom = (name: string): DomainSpec => tinyDomainSpec(name);
const bundle = (revision: string, names: (string | DomainSpec)[]) => {
  const p: ResolvedPolicy = {
    name: "p",
    description: null,
    mode: "enforce",
    priority: 0,
    source: { file: "f", line: 1, col: 1 },
    resources: {
      host: null,
      networks: [],
      pools: [],
      volumes: [],
      domains: names.map((n) => (typeof n === "string" ? dom(n) : n)),
    },
  };
  return {
    revision,
    generation: 1,
    policies: [{ name: "p", revision: "x", mode: "enforce", resolvedJson: JSON.stringify(p) }],
  };
};

const open: { e: Enforcer; s: AgentStore }[] = [];
afterEach(async () => {
  for (const { e, s } of open.splice(0)) {
    await e.stop();
    s.close();
  }
});

function setup(delayMs = 20, hv: object = {}) {
  const world: World = { running: new Set(), active: 0, maxActive: 0, delayMs };
  const store = AgentStore.openFile(":memory:");
  const e = new Enforcer({
    hypervisor: async () => hv as Hypervisor,
    store,
    log: silentLogger(),
    resyncIntervalMs: 0,
    autostartDirs: [],
    watchEvents: false,
    flap: { threshold: 2, windowMs: 60_000 },
    domainEnv: { domainType: "kvm" },
    buildResources: (pols) =>
      pols.flatMap((p) => p.resources.domains.map((d) => new FakeDomain(d.name, p.name, world, d))),
  });
  open.push({ e, s: store });
  const runs: RunSummary[] = [];
  e.onRun((r) => runs.push(r));
  return { e, store, world, runs };
}

describe("enforcer scheduling", () => {
  it("runs one convergence at a time and merges triggers that arrive meanwhile", async () => {
    const t = setup(30);
    t.e.setBundle(bundle("r1", ["a", "b"]));
    t.e.start();
    for (let i = 0; i < 5; i++) t.e.resync();
    await t.e.idle();
    // two resources per run: more than two checks at once would mean overlapping runs
    expect(t.world.maxActive).toBeLessThanOrEqual(2);
    // the bundle run, then startup and the five resyncs merged into one run
    expect(t.runs.map((r) => r.trigger)).toEqual(["bundle", "startup"]);
    expect(t.runs[0]!.drift.every((d) => d.classification === "intentional" && d.source === "apply")).toBe(true);
  });

  it("stops repairing a flapping resource, raises one suppressed event, repairs again on acknowledgement", async () => {
    const t = setup(1);
    t.e.setBundle(bundle("r1", ["a"]));
    t.e.start();
    await t.e.idle();
    for (let i = 0; i < 2; i++) {
      t.world.running.delete("a");
      t.e.resync();
      await t.e.idle();
      expect(t.world.running.has("a")).toBe(true);
    }
    t.world.running.delete("a");
    t.e.resync();
    await t.e.idle();
    t.e.resync();
    await t.e.idle();
    expect(t.world.running.has("a")).toBe(false);
    const suppressed = t.runs.flatMap((r) => r.drift).filter((d) => d.remediation === "suppressed");
    expect(suppressed).toHaveLength(1);
    t.e.acknowledgeFlap("domain/a");
    await t.e.idle();
    expect(t.world.running.has("a")).toBe(true);
    const last = t.runs.at(-1)!.drift;
    expect(last).toEqual([expect.objectContaining({ id: suppressed[0]!.id, remediation: "repaired" })]);
  });

  it("reports a held resource `suppressed`; a new revision lifts the guard only for the resources it changes", async () => {
    const t = setup(1);
    t.e.setBundle(bundle("r1", ["a", "b"]));
    t.e.start();
    await t.e.idle();
    const flapA = async () => {
      t.world.running.delete("a");
      t.e.resync();
      await t.e.idle();
    };
    for (let i = 0; i < 3; i++) await flapA();
    expect(t.world.running.has("a")).toBe(false);
    const outcomeOfA = () => t.runs.at(-1)!.report!.resources.find((r) => r.name === "a")!.outcome;
    expect(outcomeOfA()).toBe("suppressed");
    // a revision that leaves `a` as it was (adds c) keeps it held and reported suppressed
    t.e.setBundle({ ...bundle("r2", ["a", "b", "c"]), generation: 2 });
    await t.e.idle();
    expect(t.world.running.has("c")).toBe(true);
    expect(t.world.running.has("a")).toBe(false);
    expect(outcomeOfA()).toBe("suppressed");
    // a revision that changes `a` is intentional: applied at once, held no more
    t.e.setBundle({ ...bundle("r3", [tinyDomainSpec("a", { vcpus: 2 }), "b", "c"]), generation: 3 });
    await t.e.idle();
    expect(t.world.running.has("a")).toBe(true);
    expect(outcomeOfA()).toBe("changed");
  });

  it("keeps the previous bundle when a bad one arrives, and caches good ones", async () => {
    const t = setup(1);
    expect(t.e.setBundle(bundle("r1", ["a"]))).toEqual({ accepted: true, changed: true });
    expect(
      t.e.setBundle({ revision: "r2", generation: 2, policies: [{ name: "p", mode: "nope", resolvedJson: "{}" }] })
        .accepted,
    ).toBe(false);
    expect(t.e.revision).toBe("r1");
    expect(t.store.bundles.load()?.revision).toBe("r1");
    expect(t.e.setBundle(bundle("r1", ["a"]))).toEqual({ accepted: true, changed: false });
  });

  it("re-checks and reports when the same revision arrives at a new generation", async () => {
    const t = setup(1);
    t.e.setBundle(bundle("r1", ["a"]));
    t.e.start();
    await t.e.idle();
    const before = t.runs.length;
    expect(t.e.setBundle({ ...bundle("r1", ["a"]), generation: 5 })).toEqual({ accepted: true, changed: false });
    await t.e.idle();
    expect(t.runs.length).toBe(before + 1);
    expect(t.runs.at(-1)!.report).toMatchObject({ generation: 5, bundleRevision: "r1", trigger: "bundle" });
    expect(t.e.setBundle({ ...bundle("r1", ["a"]), generation: 5 })).toEqual({ accepted: true, changed: false });
    await t.e.idle();
    expect(t.runs.length).toBe(before + 1);
  });

  it("records runs again once the connection is ready, even when no 'restored' event came", async () => {
    const conn = { generation: 1, state: "ready" };
    const t = setup(1, { connection: conn });
    t.e.setBundle(bundle("r1", ["a"]));
    t.e.start();
    await t.e.idle();
    expect(t.runs).toHaveLength(2);
    // lost, then reconnected, but the re-registration timed out: no "restored" event
    (t.e as unknown as { onHypervisorEvent(e: unknown): void }).onHypervisorEvent({
      kind: "connection",
      state: "lost",
      generation: 1,
    });
    conn.generation = 2;
    t.world.running.delete("a");
    t.e.resync();
    await t.e.idle();
    expect(t.runs).toHaveLength(3);
    expect(t.runs[2]!.drift).toEqual([expect.objectContaining({ name: "a", remediation: "repaired" })]);
  });

  it("discards a run during which the connection was replaced", async () => {
    const conn = { generation: 1, state: "ready" };
    const t = setup(20, { connection: conn });
    t.e.setBundle(bundle("r1", ["a"]));
    t.e.start();
    await t.e.idle();
    t.world.running.delete("a");
    t.e.resync();
    await sleep(5);
    conn.generation = 2;
    await t.e.idle();
    expect(t.runs).toHaveLength(2);
  });

  it("drops the results of a run whose bundle was replaced meanwhile", async () => {
    const t = setup(30);
    t.e.setBundle(bundle("r1", ["a", "b"]));
    t.e.start();
    await sleep(10);
    t.e.setBundle({ ...bundle("r2", ["b"]), generation: 2 });
    await t.e.idle();
    const last = t.runs.at(-1)!;
    expect(last.report?.bundleRevision).toBe("r2");
    expect(last.report?.resources.map((r) => r.name)).toEqual(["b"]);
    expect(t.runs.every((r) => r.drift.every((d) => d.name !== "a"))).toBe(true);
  });

  it("does not engage the flap guard for a resource acknowledged during the run", async () => {
    const t = setup(30);
    t.e.setBundle(bundle("r1", ["a"]));
    t.e.start();
    await t.e.idle();
    for (let i = 0; i < 2; i++) {
      t.world.running.delete("a");
      t.e.resync();
      await t.e.idle();
    }
    t.world.running.delete("a");
    t.e.resync();
    await sleep(10);
    t.e.acknowledgeFlap("domain/a");
    await t.e.idle();
    expect(t.world.running.has("a")).toBe(true);
    expect(t.runs.flatMap((r) => r.drift).filter((d) => d.remediation === "suppressed")).toEqual([]);
  });

  it("reports a full run over an empty bundle", async () => {
    const t = setup(1);
    t.e.setBundle(bundle("r0", []));
    t.e.start();
    await t.e.idle();
    expect(t.runs.map((r) => r.report && { rev: r.report.bundleRevision, resources: r.report.resources })).toEqual([
      { rev: "r0", resources: [] },
      { rev: "r0", resources: [] },
    ]);
    expect(t.store.outbox.stats().entries).toBeGreaterThan(0);
  });
});
