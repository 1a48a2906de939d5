import { describe, expect, it } from "vitest";
import type { HostPlan, PlanJson } from "../../../controller/plan/index.js";
import {
  renderFieldChange,
  renderPlan,
  renderPlannedResource,
  renderPlanSummary,
} from "../../../cli/output/plan-view.js";

const host = (name: string, over: Partial<HostPlan> = {}): HostPlan => ({
  name,
  status: "planned",
  wouldChange: false,
  create: 0,
  change: 0,
  remove: 0,
  restart: 0,
  recreate: 0,
  failed: 0,
  resources: [],
  ...over,
});

const PLAN: PlanJson = {
  policy: "web",
  revision: "bbbbbbbbbbbbbbbbbbbbbbbb",
  previousRevision: "aaaaaaaaaaaaaaaaaaaaaaaa",
  plannedAt: "2026-01-01T12:00:00.000Z",
  targets: 5,
  summary: {
    hostsPlanned: 4,
    hostsChanging: 3,
    hostsUnanswered: 1,
    create: 2,
    change: 5,
    remove: 0,
    guestsRestart: 1,
    guestsRecreate: 0,
    failed: 0,
  },
  hosts: [
    host("kvm01", {
      wouldChange: true,
      create: 1,
      change: 2,
      restart: 1,
      resources: [
        {
          policy: "web",
          kind: "domain",
          name: "web-01",
          action: "change",
          disruption: "restart",
          changes: [{ field: "vcpus", from: 1, to: 2, disruption: "restart" }],
        },
        {
          policy: "web",
          kind: "network",
          name: "front",
          action: "create",
          disruption: "none",
          changes: [{ field: "mode", from: null, to: "nat", disruption: "live" }],
        },
        {
          policy: "web",
          kind: "pool",
          name: "images",
          action: "change",
          disruption: "live",
          changes: [
            { field: "autostart", from: false, to: true, disruption: "live" },
            { field: "path", from: "/a", to: "/b", disruption: "recreate" },
          ],
        },
      ],
    }),
    host("kvm02", {
      wouldChange: true,
      create: 1,
      change: 2,
      resources: [{ policy: "web", kind: "domain", name: "web-02", action: "create", disruption: "none", changes: [] }],
    }),
    host("kvm03", {
      wouldChange: true,
      change: 1,
      resources: [
        {
          policy: "web",
          kind: "domain",
          name: "web-03",
          action: "change",
          disruption: "live",
          changes: [{ field: "memory", from: 1024, to: 2048, disruption: "live" }],
        },
      ],
    }),
    host("kvm04"),
    host("kvm05", { status: "offline" }),
  ],
};

describe("plan view", () => {
  const text = renderPlan(PLAN);
  const lines = text.split("\n");

  it("opens with the policy, previous → pending revision and how many targets answered", () => {
    expect(lines[0]).toBe(
      "Plan of web: revision aaaaaaaaaaaa → bbbbbbbbbbbb (pending), 4 of 5 targeted hosts answered",
    );
  });

  it("tables the hosts that would change or did not answer, not the ones in sync", () => {
    const head = lines.find((l) => l.startsWith("HOST"))!;
    expect(head).toMatch(/^HOST\s+STATUS\s+CREATE\s+CHANGE\s+REMOVE\s+RESTART\s+RECREATE$/);
    expect(text).toMatch(/^kvm01\s+changes\s+1\s+2\s+0\s+1\s+0$/m);
    expect(text).toMatch(/^kvm05\s+offline\s+-\s+-\s+-\s+-\s+-$/m);
    expect(text).not.toMatch(/^kvm04/m);
    const row = lines.find((l) => l.startsWith("kvm01 "))!;
    expect(row.indexOf("changes")).toBe(head.indexOf("STATUS"));
  });

  it("lists each changing host's resources with their fields", () => {
    expect(text).toContain(
      "kvm01:\n  domain/web-01: vcpus 1 → 2 (restart)\n  network/front: create\n  pool/images:\n      autostart false → true (live)\n      path /a → /b (recreate)\n",
    );
    expect(text).toContain("kvm02:\n  domain/web-02: create\n");
    // sizes in binary units, the disruption class always named
    expect(text).toContain("  domain/web-03: memory 1 KiB → 2 KiB (live)\n");
    expect(text).toContain("kvm05: did not answer (offline: not connected to the controller)");
  });

  it("ends with a summary line", () => {
    expect(lines.at(-2)).toBe(
      "3 hosts would change: 2 create, 5 change, 0 remove; 1 guest needs a restart, 0 recreated; 1 host did not answer",
    );
  });

  it("after its rollout succeeded: the revision is applied, the dry-run is what differs now, the rollout's plan is named", () => {
    const now: PlanJson = {
      ...PLAN,
      previousRevision: undefined,
      targets: 1,
      summary: { ...PLAN.summary, hostsPlanned: 1, hostsChanging: 0, hostsUnanswered: 0, create: 0, change: 0 },
      hosts: [host("kvm04")],
      rollout: {
        id: "web@1",
        state: "succeeded",
        finishedAt: "2026-01-01T11:00:00.000Z",
        planSummary: { ...PLAN.summary, hostsPlanned: 1, hostsChanging: 1, hostsUnanswered: 0, create: 1, change: 0 },
      },
    };
    const out = renderPlan(now);
    expect(out).not.toContain("(none) →");
    expect(out).toContain(
      "Plan of web: revision bbbbbbbbbbbb is applied (its rollout from (none) succeeded at 2026-01-01T11:00:00.000Z); checking its hosts now, 1 of 1 targeted host answered",
    );
    expect(out).toContain("The rollout's plan before it ran: 1 host would change: 1 create, 0 change, 0 remove");
    expect(out.trimEnd().split("\n").at(-1)).toBe(
      "Now: no host would change; 0 hosts did not answer (every host holds the applied revision)",
    );
  });

  it("says so when nothing would change, nothing is targeted, or some resources could not be checked", () => {
    const calm: PlanJson = {
      ...PLAN,
      previousRevision: undefined,
      targets: 1,
      summary: {
        ...PLAN.summary,
        hostsPlanned: 1,
        hostsChanging: 0,
        hostsUnanswered: 0,
        create: 0,
        change: 0,
        guestsRestart: 0,
      },
      hosts: [host("kvm04")],
    };
    const out = renderPlan(calm);
    expect(out).toContain("revision (none) → bbbbbbbbbbbb (pending), 1 of 1 targeted host answered");
    expect(out).not.toContain("HOST");
    expect(out.trimEnd().split("\n").at(-1)).toBe("no host would change; 0 hosts did not answer");
    expect(renderPlan({ ...calm, targets: 0, hosts: [] })).toContain("No host is targeted by this policy");
    const none = { ...calm.summary, hostsPlanned: 0 };
    expect(renderPlanSummary({ ...calm, targets: 0, summary: none, hosts: [] })).toBe(
      "no host targeted: nothing would change",
    );
    expect(renderPlanSummary({ ...calm, summary: { ...none, hostsUnanswered: 2 } })).toBe(
      "no host answered; 2 hosts did not answer",
    );
    const failed = { ...PLAN.summary, failed: 2, guestsRestart: 2 };
    expect(renderPlanSummary({ ...PLAN, summary: failed })).toBe(
      "3 hosts would change: 2 create, 5 change, 0 remove; 2 guests need a restart, 0 recreated; 2 resources could not be checked; 1 host did not answer",
    );
  });

  it("renders unanswered hosts with why, and unchecked resources with their error", () => {
    const out = renderPlan({
      ...PLAN,
      hosts: [
        host("a", { status: "timeout" }),
        host("b", { status: "error", error: "libvirt unreachable" }),
        host("c", {
          failed: 1,
          resources: [
            {
              policy: "web",
              kind: "volume",
              name: "images/x",
              action: "failed",
              disruption: "none",
              changes: [],
              error: "permission denied",
            },
          ],
        }),
      ],
    });
    expect(out).toContain("a: did not answer (no answer in time)");
    expect(out).toContain("b: did not answer (error: libvirt unreachable)");
    expect(out).toMatch(/^c\s+planned, 1 unchecked\s+0/m);
    expect(out).toContain("  volume/images/x: could not be checked: permission denied");
  });

  it("renders field values compactly and marks destructive changes", () => {
    expect(renderFieldChange({ field: "capacity", from: 10, to: 5, disruption: "recreate", destructive: true })).toBe(
      "capacity 10 B → 5 B (recreate, destroys data)",
    );
    expect(renderFieldChange({ field: "tags", from: null, to: ["a", "b"], disruption: "live" })).toBe(
      'tags ∅ → ["a","b"] (live)',
    );
    expect(renderFieldChange({ field: "x", from: "y".repeat(100), to: "z", disruption: "live" })).toMatch(
      /^x y{57}\.\.\. → z \(live\)$/,
    );
    expect(
      renderPlannedResource({
        policy: "web",
        kind: "domain",
        name: "old",
        action: "remove",
        disruption: "none",
        changes: [],
      }),
    ).toBe("  domain/old: remove\n");
  });

  it("names a blocked change and the refusal's message", () => {
    expect(
      renderPlannedResource({
        policy: "web",
        kind: "pool",
        name: "images",
        action: "blocked",
        disruption: "recreate",
        changes: [{ field: "path", from: "/a", to: "/b", disruption: "recreate" }],
        error: "pool/images: path /a → /b would strand its 3 volumes (a, b, c)",
      }),
    ).toBe("  pool/images: blocked: pool/images: path /a → /b would strand its 3 volumes (a, b, c)\n");
  });
});
