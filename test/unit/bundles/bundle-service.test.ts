import { afterEach, describe, expect, it } from "vitest";
import {
  emptyInventory,
  loadPolicySources,
  silentLogger,
  type Engine,
  type LoadedPolicy,
} from "../../../common/index.js";
import type { AgentService, AgentSession, AgentStreamHooks } from "../../../controller/agents/index.js";
import { BundleService, type HostBundle } from "../../../controller/bundles/index.js";
import { HostStore } from "../../../controller/hosts/index.js";
import type { PolicySet } from "../../../controller/policies/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";
import { policyYaml } from "../policies/fixtures.js";

/** The slice of AgentService the bundle service uses, with sessions that record what was sent. */
function fakeAgents() {
  const hooks: AgentStreamHooks[] = [];
  const live = new Map<string, AgentSession>();
  const sent = new Map<string, { bundle: { revision: string; generation: number; policies: { name: string }[] } }[]>();
  const agents = {
    use: (h: AgentStreamHooks) => hooks.push(h),
    session: (host: string) => live.get(host),
    sessions: () => [...live.values()],
  } as unknown as AgentService;
  const connect = async (host: string, bundleRevision: string) => {
    const out: never[] = [];
    sent.set(host, out);
    const s = { host, closed: false, send: (body: never) => out.push(body) } as unknown as AgentSession;
    live.set(host, s);
    for (const h of hooks) await h.onReady?.(s, { bundleRevision } as never, undefined as never);
    return s;
  };
  return { agents, connect, sent };
}

describe.each(ENGINES)("BundleService on %s", (engine: Engine) => {
  let t: TestStore;
  afterEach(async () => {
    await t?.close();
  });

  const setUp = async () => {
    t = await openTestStore(engine);
    const hosts = new HostStore(t.db);
    let set: PolicySet = { policies: [], inventory: emptyInventory() };
    const listeners: ((change?: unknown, origin?: "folder" | "push" | "store") => unknown)[] = [];
    const use = (...texts: [string, string][]) => {
      const r = loadPolicySources(texts.map(([file, text]) => ({ file, text })));
      expect(r.errors).toEqual([]);
      set = { policies: r.policies as LoadedPolicy[], inventory: r.inventory };
    };
    const service = new BundleService(
      t.db,
      hosts,
      { current: () => set, onChange: (l) => (listeners.push(l), () => undefined) },
      silentLogger(),
    );
    const enrol = (name: string) =>
      hosts.recordHello({
        name,
        agentVersion: "1",
        factsJson: "{}",
        factsFingerprint: "f",
        sessionId: name,
        peer: "p",
        now: 1,
      });
    const changed = (origin: "folder" | "store" = "folder") => Promise.all(listeners.map((l) => l({}, origin)));
    return { service, use, enrol, changed };
  };

  it("sends the stored bundle to an agent that lacks it, and tells listeners what the agent holds", async () => {
    const { service, use, enrol, changed } = await setUp();
    use(["a.yaml", policyYaml("a")]);
    const delivered: [string, HostBundle][] = [];
    service.onDelivered((host, bundle) => delivered.push([host, bundle]));
    const { agents, connect, sent } = fakeAgents();
    await enrol("h1");
    await service.attach(agents);
    // Stored at attach; the first connect sends it.
    await connect("h1", "");
    const first = sent.get("h1")![0]!.bundle;
    expect(first).toMatchObject({ generation: 1, policies: [{ name: "a" }] });
    // The agent holds it: nothing is sent again.
    await connect("h1", first.revision);
    expect(sent.get("h1")).toEqual([]);
    // A file-position-only change (a comment): same revision, nothing new.
    use(["a.yaml", policyYaml("a", { comment: "moved" })]);
    await changed();
    expect(sent.get("h1")).toEqual([]);
    // An agent that lost its bundle gets the stored one (read on demand: it was saved unchanged).
    await connect("h1", "");
    expect(sent.get("h1")!.map((m) => m.bundle)).toEqual([first]);
    expect(delivered.map(([h, b]) => [h, b.generation])).toEqual([
      ["h1", 1],
      ["h1", 1],
      ["h1", 1],
      ["h1", 1],
    ]);
    expect((await service.bundles.content(delivered[3]![1])).policies.map((p) => p.name)).toEqual(["a"]);
  });

  it("stores every host's bundle in one transaction after a policy change", async () => {
    const { service, use, enrol, changed } = await setUp();
    use(["a.yaml", policyYaml("a")]);
    for (const h of ["h1", "h2", "h3"]) await enrol(h);
    const { agents, connect, sent } = fakeAgents();
    await service.attach(agents);
    await connect("h2", "");
    use(["a.yaml", policyYaml("a", { bridge: "vfbr9" })]);
    await changed();
    expect(sent.get("h2")!.map((m) => m.bundle.generation)).toEqual([1, 2]);
    expect((await service.bundles.heads()).map((h) => [h.host, h.generation]).sort()).toEqual([
      ["h1", 2],
      ["h2", 2],
      ["h3", 2],
    ]);
  });

  it("a follower replica (recomputeAll false) computes nothing at attach nor on a change followed from the store: the leader does", async () => {
    const { service, use, enrol, changed } = await setUp();
    use(["a.yaml", policyYaml("a")]);
    for (const h of ["h1", "h2"]) await enrol(h);
    const { agents, connect, sent } = fakeAgents();
    await service.attach(agents, { recomputeAll: false });
    expect(await service.bundles.heads()).toEqual([]);
    use(["a.yaml", policyYaml("a", { bridge: "vfbr9" })]);
    await changed("store");
    expect(await service.bundles.heads()).toEqual([]);
    // its own agents' Hellos still get a bundle computed here
    await connect("h1", "");
    expect(sent.get("h1")!.map((m) => m.bundle.generation)).toEqual([1]);
    expect((await service.bundles.heads()).map((h) => h.host)).toEqual(["h1"]);
  });
});
