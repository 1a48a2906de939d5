import { describe, expect, it } from "vitest";
import { createLogger } from "../../../common/index.js";
import type { CheckResult, Resource } from "../../../engine/index.js";
import type { Hypervisor } from "../../../libvirt/index.js";
import { Planner } from "../../../agent/plan/index.js";
import { resolvedPolicy, tinyDomainSpec } from "../../harness/specs.js";

const log = createLogger("planner-test", "silent");

const wire = (revision = "b1") => ({
  revision,
  generation: 2,
  policies: [
    {
      name: "web",
      revision: "p1",
      mode: "enforce",
      resolvedJson: JSON.stringify(resolvedPolicy("web", { domains: [tinyDomainSpec("g1")] })),
    },
  ],
});

/** A resource that records how it was called and answers with `changes` after `gate`. */
function fake(calls: boolean[], gate: Promise<void> = Promise.resolve()): Resource {
  return {
    kind: "domain",
    name: "g1",
    dependsOn: [],
    removing: false,
    policy: "web",
    async checkApply(_signal: AbortSignal, apply: boolean): Promise<CheckResult> {
      calls.push(apply);
      await gate;
      return { changes: [{ field: "vcpus", from: 1, to: 2, disruption: "restart" }] };
    },
  };
}

const planner = (calls: boolean[], o: Partial<ConstructorParameters<typeof Planner>[0]> = {}, gate?: Promise<void>) =>
  new Planner({
    hypervisor: async () => ({}) as Hypervisor,
    log,
    domainEnv: { domainType: "kvm" },
    buildResources: () => [fake(calls, gate)],
    ...o,
  });

describe("Planner", () => {
  it("dry-runs the bundle and never applies", async () => {
    const calls: boolean[] = [];
    const r = await planner(calls).plan("c1", wire());
    expect(calls).toEqual([false]);
    expect(r).toMatchObject({ commandId: "c1", bundleRevision: "b1", error: "" });
    expect(r.resources).toEqual([
      {
        kind: "domain",
        name: "g1",
        policy: "web",
        outcome: "drift",
        changesJson: JSON.stringify([{ field: "vcpus", from: 1, to: 2, disruption: "restart" }]),
        error: "",
        pendingRestart: false,
      },
    ]);
  });

  it("answers an invalid bundle or an unreachable libvirt with an error and no resources", async () => {
    const calls: boolean[] = [];
    const bad = await planner(calls).plan("c1", { ...wire(), generation: -1 });
    expect(bad).toMatchObject({
      commandId: "c1",
      bundleRevision: "b1",
      resources: [],
      error: expect.stringMatching(/^invalid bundle: .*generation/),
    });
    const down = await planner(calls, {
      hypervisor: async () => {
        throw new Error("ECONNREFUSED");
      },
    }).plan("c2", wire());
    expect(down).toMatchObject({ resources: [], error: expect.stringMatching(/libvirt unreachable: .*ECONNREFUSED/) });
    expect(calls).toEqual([]);
    expect((await planner(calls).plan("c3", null)).bundleRevision).toBe("");
  });

  it("runs one plan at a time and refuses beyond the queue bound", async () => {
    const calls: boolean[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const p = planner(calls, { maxQueued: 1 }, gate);
    const first = p.plan("c1", wire());
    const second = p.plan("c2", wire());
    const third = await p.plan("c3", wire());
    expect(third).toMatchObject({ commandId: "c3", error: "too many plans queued on this host", resources: [] });
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toHaveLength(1);
    open();
    expect((await first).error).toBe("");
    expect((await second).error).toBe("");
    expect(calls).toHaveLength(2);
    expect(p.pending).toBe(0);
  });

  it("answers with an error when the result would be too large to send", async () => {
    const r = await planner([], { maxResultBytes: 100 }).plan("c1", wire());
    expect(r).toMatchObject({ resources: [], error: expect.stringMatching(/too large/) });
  });

  it("refuses plans after stop", async () => {
    const p = planner([]);
    await p.stop();
    expect(await p.plan("c1", wire())).toMatchObject({ error: "the agent is stopping" });
  });
});
