import { describe, expect, it } from "vitest";
import { aggregateRemoval } from "../../../controller/plan/index.js";
import { renderPlan } from "../../../cli/output/plan-view.js";

/** Issue 21 item 5: the plan of a removed policy lists what is left unmanaged per host. */
const held = JSON.stringify({
  name: "web",
  resources: {
    host: {
      requireVirtualization: false,
      kernelModules: [],
      sysctl: { "vm.swappiness": "10" },
      minFreeMemoryBytes: null,
    },
    networks: [{ name: "n1", state: "active" }],
    pools: [],
    volumes: [{ name: "old.qcow2", pool: "p", state: "absent" }],
    domains: [{ name: "web-01", state: "running" }],
  },
});

describe("aggregateRemoval", () => {
  const plan = aggregateRemoval({
    policy: "web",
    previousRevision: "abc123",
    targets: ["kvm02", "kvm01"],
    held: new Map([["kvm01", held]]),
    answers: new Map([
      [
        "kvm01",
        {
          status: "planned",
          durationMs: 5,
          resources: [
            // Another policy declares n1 too (it lost it by priority): now it takes over.
            {
              policy: "other",
              kind: "network",
              name: "n1",
              outcome: "drift",
              changes: [{ field: "mtu", from: 1500, to: 9000, disruption: "restart" }],
              error: "",
            },
            // Unrelated drift is not part of this plan.
            { policy: "other", kind: "domain", name: "db", outcome: "drift", changes: [], error: "" },
          ],
        },
      ],
    ]) as never,
    now: 0,
  });

  it("lists each held resource as unmanage (absent ones as no longer kept absent) and takeovers as changes", () => {
    expect(plan.revision).toBe("removed");
    expect(plan.previousRevision).toBe("abc123");
    const h1 = plan.hosts[0]!;
    expect(h1.resources.map((r) => [r.policy, r.kind, r.name, r.action])).toEqual([
      ["web", "sysctl", "vm.swappiness", "unmanage"],
      ["web", "network", "n1", "unmanage"],
      ["web", "volume", "p/old.qcow2", "unmanage"],
      ["web", "domain", "web-01", "unmanage"],
      ["other", "network", "n1", "change"],
    ]);
    expect([h1.wouldChange, h1.change, h1.remove]).toEqual([true, 1, 0]);
    expect(plan.hosts[1]).toMatchObject({ name: "kvm02", status: "offline" });
  });

  it("renders what is left in place", () => {
    const text = renderPlan(plan);
    expect(text).toContain("Plan of web: removal of revision abc123");
    expect(text).toContain("domain/web-01: left in place, no longer managed (unmanaged)");
    expect(text).toContain("volume/p/old.qcow2: declared absent; no longer kept absent");
  });
});
