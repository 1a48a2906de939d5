import { describe, expect, it } from "vitest";
import type { FieldChange } from "../../../common/index.js";
import type { PlanOutcome } from "../../../controller/agent-messages/index.js";
import { aggregatePlan, type PlanAnswer } from "../../../controller/plan/index.js";

const NOW = Date.parse("2025-03-01T12:00:00.000Z");

function outcome(
  kind: PlanOutcome["kind"],
  name: string,
  o: PlanOutcome["outcome"],
  changes: FieldChange[] = [],
  over: Partial<PlanOutcome> = {},
): PlanOutcome {
  return { kind, name, policy: "web", outcome: o, changes, error: "", pendingRestart: false, ...over };
}
const change = (
  field: string,
  from: unknown,
  to: unknown,
  disruption: FieldChange["disruption"] = "live",
): FieldChange => ({ field, from, to, disruption });
const planned = (resources: PlanOutcome[], durationMs = 12): PlanAnswer => ({
  status: "planned",
  resources,
  durationMs,
});

function plan(answers: Record<string, PlanAnswer>, targets = Object.keys(answers)) {
  return aggregatePlan({
    policy: "web",
    revision: "r2",
    previousRevision: "r1",
    targets,
    answers: new Map(Object.entries(answers)),
    now: NOW,
  });
}

describe("aggregatePlan", () => {
  it("classifies create, change, remove and failed, and leaves out ok and skipped", () => {
    const p = plan({
      kvm01: planned([
        outcome("network", "net0", "drift", [change("state", "absent", "active"), change("autostart", false, true)]),
        outcome("domain", "web-01", "drift", [change("vcpus", 1, 2, "restart"), change("memory", 64, 128, "restart")]),
        outcome("domain", "web-02", "drift", [change("state", "running", "absent")]),
        outcome("volume", "pool/a.qcow2", "failed", [], { error: "boom" }),
        outcome("pool", "pool", "ok"),
        outcome("volume", "pool/b.qcow2", "skipped", [], { error: "skipped: x failed" }),
      ]),
    });
    const h = p.hosts[0]!;
    expect(h).toMatchObject({
      name: "kvm01",
      status: "planned",
      wouldChange: true,
      create: 1,
      change: 1,
      remove: 1,
      failed: 1,
      restart: 1,
      recreate: 0,
      durationMs: 12,
    });
    expect(h.resources.map((r) => [r.kind, r.name, r.action, r.disruption])).toEqual([
      ["network", "net0", "create", "live"],
      ["domain", "web-01", "change", "restart"],
      ["domain", "web-02", "remove", "live"],
      ["volume", "pool/a.qcow2", "failed", "none"],
    ]);
    expect(h.resources[3]!.error).toBe("boom");
    expect(h.resources[1]!.changes).toHaveLength(2);
  });

  it("counts only the planned policy's resources", () => {
    const p = plan({
      kvm01: planned([
        outcome("domain", "a", "drift", [change("vcpus", 1, 2, "restart")]),
        outcome("network", "other", "drift", [change("state", "absent", "active")], { policy: "base" }),
      ]),
    });
    expect(p.hosts[0]!.resources.map((r) => r.name)).toEqual(["a"]);
    expect(p.summary).toMatchObject({ create: 0, change: 1, guestsRestart: 1 });
  });

  it("takes the worst disruption; restart/recreate count only domains", () => {
    const p = plan({
      kvm01: planned([
        outcome("domain", "a", "drift", [
          change("autostart", false, true),
          change("uuid", "x", "y", "recreate"),
          change("vcpus", 1, 2, "restart"),
        ]),
        outcome("network", "n", "drift", [change("mtu", 1500, 9000, "restart")]),
        outcome("domain", "b", "changed", [change("autostart", false, true)]),
      ]),
    });
    const h = p.hosts[0]!;
    expect(h.resources.map((r) => r.disruption)).toEqual(["recreate", "restart", "live"]);
    expect(h).toMatchObject({ change: 3, restart: 0, recreate: 1 });
  });

  it("marks unanswered targets, sorts hosts, ignores untargeted answers, and sums", () => {
    const p = plan(
      {
        c: { status: "timeout" },
        b: { status: "error", error: "libvirt unreachable" },
        a: planned([outcome("domain", "x", "drift", [change("state", "absent", "running")])]),
        d: planned([]),
        z: planned([outcome("domain", "x", "drift", [change("state", "absent", "running")])]),
      },
      ["d", "c", "b", "a", "e", "a"],
    );
    expect(p.hosts.map((h) => [h.name, h.status])).toEqual([
      ["a", "planned"],
      ["b", "error"],
      ["c", "timeout"],
      ["d", "planned"],
      ["e", "offline"],
    ]);
    expect(p.hosts[1]!.error).toBe("libvirt unreachable");
    expect(p.hosts[3]!.wouldChange).toBe(false);
    expect(p.targets).toBe(5);
    expect(p.summary).toEqual({
      hostsPlanned: 2,
      hostsChanging: 1,
      hostsUnanswered: 3,
      create: 1,
      change: 0,
      remove: 0,
      guestsRestart: 0,
      guestsRecreate: 0,
      failed: 0,
    });
  });

  it("fills the header; previousRevision only when there is one", () => {
    const p = plan({});
    expect(p).toMatchObject({
      policy: "web",
      revision: "r2",
      previousRevision: "r1",
      plannedAt: "2025-03-01T12:00:00.000Z",
      targets: 0,
      hosts: [],
    });
    const q = aggregatePlan({
      policy: "web",
      revision: "r1",
      previousRevision: null,
      targets: ["h"],
      answers: new Map(),
      now: NOW,
    });
    expect("previousRevision" in q).toBe(false);
    expect(q.hosts[0]).toMatchObject({ name: "h", status: "offline", wouldChange: false, resources: [] });
  });

  it("a blocked resource is listed as blocked with its error and counted as failed", () => {
    const change = { field: "path", from: "/a", to: "/b", disruption: "recreate" as const };
    const error = "pool/p: path /a → /b would strand its 1 volume (v)";
    const p = plan({ h: planned([outcome("pool", "p", "blocked", [change], { error })]) });
    expect(p.hosts[0]).toMatchObject({ wouldChange: false, failed: 1 });
    expect(p.hosts[0]!.resources).toEqual([
      { policy: "web", kind: "pool", name: "p", action: "blocked", disruption: "recreate", changes: [change], error },
    ]);
    expect(p.summary).toMatchObject({ hostsChanging: 0, failed: 1 });
  });

  it("a failed resource alone does not make the host change", () => {
    const p = plan({ h: planned([outcome("domain", "a", "failed", [], { error: "libvirt unreachable" })]) });
    expect(p.hosts[0]).toMatchObject({ wouldChange: false, failed: 1 });
    expect(p.summary).toMatchObject({ hostsChanging: 0, failed: 1 });
  });
});
