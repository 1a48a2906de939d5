import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emptyInventory, loadPolicySources, silentLogger, type LoadedPolicy } from "../../../common/index.js";
import type { AgentService, AgentSession, AgentStreamHooks } from "../../../controller/agents/index.js";
import { BundleService, computeBundle, HostBundleStore } from "../../../controller/bundles/index.js";
import type { PolicySet } from "../../../controller/policies/index.js";
import { HostStore } from "../../../controller/hosts/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";
import { policyYaml } from "./fixtures.js";

const load = (...texts: [string, string][]) => {
  const r = loadPolicySources(texts.map(([file, text]) => ({ file, text })));
  expect(r.errors).toEqual([]);
  return r;
};

describe("computeBundle", () => {
  it("holds the policies that target the host, sorted, with a revision that ignores file positions", async () => {
    const { policies, inventory } = load(
      ["z.yaml", policyYaml("zeta")],
      ["a.yaml", policyYaml("alpha", { targets: "{hosts: [h1]}", bridge: "vfbr1", netName: "alpha-net" })],
    );
    const h1 = computeBundle(policies, inventory, { name: "h1" });
    expect(h1.policies.map((p) => p.name)).toEqual(["alpha", "zeta"]);
    expect(h1.policies[0].revision).toBe(policies.find((p) => p.name === "alpha")!.revision);
    expect(JSON.parse(h1.policies[0].resolvedJson)).toMatchObject({
      name: "alpha",
      mode: "enforce",
      resources: { networks: [{ name: "alpha-net" }] },
    });
    expect(computeBundle(policies, inventory, { name: "h2" }).policies.map((p) => p.name)).toEqual(["zeta"]);

    const moved = load(
      [
        "a.yaml",
        policyYaml("alpha", { targets: "{hosts: [h1]}", bridge: "vfbr1", netName: "alpha-net", comment: "moved down" }),
      ],
      ["z.yaml", policyYaml("zeta")],
    );
    expect(computeBundle(moved.policies, moved.inventory, { name: "h1" }).revision).toBe(h1.revision);
    const edited = load(
      ["z.yaml", policyYaml("zeta", { mode: "audit" })],
      ["a.yaml", policyYaml("alpha", { targets: "{hosts: [h1]}", bridge: "vfbr1", netName: "alpha-net" })],
    );
    expect(computeBundle(edited.policies, edited.inventory, { name: "h1" }).revision).not.toBe(h1.revision);
  });

  it("targets by facts", async () => {
    const { policies, inventory } = load([
      "f.yaml",
      policyYaml("fact", { targets: "{facts: {cpu.virtualization: true}}" }),
    ]);
    expect(
      computeBundle(policies, inventory, { name: "h", facts: { cpu: { virtualization: true } } }).policies,
    ).toHaveLength(1);
    expect(
      computeBundle(policies, inventory, { name: "h", facts: { cpu: { virtualization: false } } }).policies,
    ).toHaveLength(0);
  });

  it("leaves out a policy that cannot resolve for the host and says why", async () => {
    const { policies, inventory } = load(
      ["r.yaml", policyYaml("rack", { bridge: "br-${host.labels.rack}" })],
      ["ok.yaml", policyYaml("ok")],
    );
    const b = computeBundle(policies, inventory, { name: "h1" });
    expect(b.policies.map((p) => p.name)).toEqual(["ok"]);
    expect(b.problems).toHaveLength(1);
    expect(b.problems[0]).toMatch(/r\.yaml:\d+:\d+: .*rack/);
  });

  it("leaves out a resource two equal-priority policies claim, and reports the conflict", async () => {
    // The folder load rejects tied conflicts; a bundle settles them anyway (e.g. restored revisions).
    const { policies, inventory } = loadPolicySources([
      { file: "a.yaml", text: policyYaml("a", { netName: "shared" }) },
      { file: "b.yaml", text: policyYaml("b", { netName: "shared", bridge: "vfbr1" }) },
    ]);
    const b = computeBundle(policies, inventory, { name: "h1" });
    expect(b.problems.some((p) => p.startsWith("conflict:"))).toBe(true);
    expect(b.policies.every((p) => !JSON.parse(p.resolvedJson).resources.networks?.length)).toBe(true);
  });
});

describe.each(ENGINES)("HostBundleStore (%s)", (engine) => {
  let t: TestStore;
  let store: HostBundleStore;
  const empty = { revision: "r1", policies: [], problems: [], conflicts: [] };

  beforeEach(async () => {
    t = await openTestStore(engine);
    await new HostStore(t.db).recordHello({
      name: "h1",
      agentVersion: "1",
      factsJson: "{}",
      factsFingerprint: "f",
      sessionId: "s",
      peer: "p",
      now: 1,
    });
    store = new HostBundleStore(t.db);
  });
  afterEach(async () => {
    await t.close();
  });

  it("starts at generation 1 and bumps it only when the revision changes", async () => {
    expect(await store.save("h1", empty, 10)).toMatchObject({
      changed: true,
      bundle: { generation: 1, revision: "r1", sentAt: null },
    });
    await store.markSent("h1", "r1", 11);
    expect(await store.save("h1", { ...empty, problems: ["x"] }, 12)).toMatchObject({
      changed: false,
      bundle: { generation: 1, problems: ["x"] },
    });
    expect(await store.get("h1")).toMatchObject({ sentAt: 11, problems: ["x"] });
    expect(await store.save("h1", { ...empty, revision: "r2" }, 13)).toMatchObject({
      changed: true,
      bundle: { generation: 2, sentAt: null, bundle: { generation: 2, revision: "r2" } },
    });
  });

  it("returns an unchanged bundle as stored, read on first use, and refuses one replaced since", async () => {
    const policies = [{ name: "p", revision: "v1", mode: "enforce", resolvedJson: "{}" }];
    await store.save("h1", { ...empty, policies }, 10);
    // Same revision, other content (e.g. file positions moved): the stored bundle is what the agent holds.
    const same = await store.save(
      "h1",
      { ...empty, policies: [{ ...policies[0]!, resolvedJson: '{"moved":true}' }] },
      11,
    );
    expect(same.changed).toBe(false);
    expect(await store.content(same.bundle)).toEqual({ revision: "r1", generation: 1, policies });
    const stale = (await store.save("h1", empty, 12)).bundle;
    await store.save("h1", { ...empty, revision: "r2" }, 13);
    await expect(store.content(stale)).rejects.toThrow(/replaced/);
  });
});

/** The slice of AgentService the bundle service uses, with sessions that record what was sent. */
function fakeAgents() {
  const hooks: AgentStreamHooks[] = [];
  const live = new Map<string, AgentSession>();
  const sent = new Map<string, any[]>();
  const agents = {
    use: (h: AgentStreamHooks) => hooks.push(h),
    session: (host: string) => live.get(host),
    sessions: () => [...live.values()],
  } as unknown as AgentService;
  const connect = async (host: string, bundleRevision: string) => {
    const out: any[] = [];
    sent.set(host, out);
    const s = { host, closed: false, send: (body: any) => out.push(body) } as unknown as AgentSession;
    live.set(host, s);
    for (const h of hooks) await h.onReady?.(s, { bundleRevision });
    return s;
  };
  return { agents, hooks, connect, sent };
}

describe.each(ENGINES)("BundleService (%s)", (engine) => {
  let t: TestStore;
  let hosts: HostStore;
  let set: PolicySet;
  let listeners: (() => void)[];
  let service: BundleService;

  const use = (...texts: [string, string][]) => {
    const r = load(...texts);
    set = { policies: r.policies as LoadedPolicy[], inventory: r.inventory };
  };
  const enrol = async (name: string, facts: unknown = {}) =>
    await hosts.recordHello({
      name,
      agentVersion: "1",
      factsJson: JSON.stringify(facts),
      factsFingerprint: JSON.stringify(facts),
      sessionId: name,
      peer: "p",
      now: 1,
    });

  beforeEach(async () => {
    t = await openTestStore(engine);
    hosts = new HostStore(t.db);
    set = { policies: [], inventory: emptyInventory() };
    listeners = [];
    service = new BundleService(
      t.db,
      hosts,
      { current: () => set, onChange: (l) => (listeners.push(l), () => undefined) },
      silentLogger(),
    );
  });
  afterEach(async () => {
    await t.close();
  });

  it("sends a bundle on connect unless the agent holds that revision", async () => {
    use(["a.yaml", policyYaml("a")]);
    const { agents, connect, sent } = fakeAgents();
    await service.attach(agents);
    await enrol("h1");
    await connect("h1", "");
    expect(sent.get("h1")).toHaveLength(1);
    const bundle = sent.get("h1")![0].bundle;
    expect(bundle).toMatchObject({ generation: 1, policies: [{ name: "a", mode: "enforce" }] });
    await connect("h1", bundle.revision);
    expect(sent.get("h1")).toEqual([]);
  });

  it("after a policy change sends only the hosts whose bundle changed, with the next generation", async () => {
    use(
      ["a.yaml", policyYaml("a", { targets: "{hosts: [h1]}" })],
      ["b.yaml", policyYaml("b", { targets: "{hosts: [h2]}", netName: "bn" })],
    );
    const { agents, connect, sent } = fakeAgents();
    await service.attach(agents);
    await enrol("h1");
    await enrol("h2");
    await enrol("h3");
    await connect("h1", "");
    await connect("h2", "");
    use(
      ["a.yaml", policyYaml("a", { targets: "{hosts: [h1]}", bridge: "vfbr5" })],
      ["b.yaml", policyYaml("b", { targets: "{hosts: [h2]}", netName: "bn" })],
    );
    await Promise.all(listeners.map((l) => l()));
    expect(sent.get("h1")!.map((m) => m.bundle.generation)).toEqual([1, 2]);
    expect(sent.get("h2")!.map((m) => m.bundle.generation)).toEqual([1]);
    // A disconnected host's bundle is kept current for when it comes back.
    expect(await service.bundles.get("h3")).toMatchObject({ generation: 1, bundle: { policies: [] } });
  });

  it("recomputes a host's bundle when its facts change", async () => {
    use(["f.yaml", policyYaml("fact", { targets: "{facts: {role: web}}" })]);
    const { agents, hooks, connect, sent } = fakeAgents();
    await service.attach(agents);
    await enrol("h1", { role: "db" });
    const s = await connect("h1", "");
    // Nothing targets it yet: an agent without a bundle already holds the empty one.
    expect(sent.get("h1")).toEqual([]);
    await hosts.recordFacts("h1", JSON.stringify({ role: "web" }), "f2", 2);
    for (const h of hooks) await h.onFacts?.(s);
    expect(sent.get("h1")!.map((m) => m.bundle.policies.map((p: { name: string }) => p.name))).toEqual([["fact"]]);
    await hosts.recordFacts("h1", JSON.stringify({ role: "db" }), "f3", 3);
    for (const h of hooks) await h.onFacts?.(s);
    expect(sent.get("h1")!.map((m) => [m.bundle.generation, m.bundle.policies.length])).toEqual([
      [2, 1],
      [3, 0],
    ]);
  });

  it("keeps problems per host and does not throw", async () => {
    use(["r.yaml", policyYaml("rack", { bridge: "br-${host.labels.rack}" })]);
    const { agents, connect, sent } = fakeAgents();
    await service.attach(agents);
    await enrol("h1");
    await expect(connect("h1", "")).resolves.toBeDefined();
    expect(sent.get("h1")).toEqual([]);
    expect((await service.bundles.get("h1"))!.problems[0]).toMatch(/rack/);
  });
});
