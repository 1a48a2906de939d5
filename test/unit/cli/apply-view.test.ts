import { describe, expect, it } from "vitest";
import { emptyOutcomeCounts } from "../../../common/wire/states.js";
import type { EngineReport } from "../../../engine/index.js";
import { applyToJson, renderApply, renderChange } from "../../../cli/output/apply-view.js";

const report: EngineReport = {
  dryRun: false,
  durationMs: 1234,
  summary: { ...emptyOutcomeCounts(), ok: 1, changed: 1, failed: 1, skipped: 1 },
  resources: [
    { kind: "network", name: "n", policy: "p", outcome: "ok", changes: [], attempts: 1, durationMs: 1 },
    {
      kind: "domain",
      name: "web",
      policy: "p",
      outcome: "changed",
      changes: [{ field: "vcpus", from: 1, to: 2, disruption: "restart" }],
      pendingRestart: true,
      notes: ["pending restart"],
      attempts: 1,
      durationMs: 1,
    },
    {
      kind: "volume",
      name: "p/v",
      policy: "p",
      outcome: "failed",
      changes: [],
      error: "disk full",
      attempts: 1,
      durationMs: 1,
    },
    {
      kind: "domain",
      name: "db",
      policy: "p",
      outcome: "skipped",
      changes: [],
      error: "skipped: volume/p/v failed",
      attempts: 0,
      durationMs: 0,
    },
  ],
};

describe("apply output", () => {
  it("JSON has the spec's keys and no internal ones", () => {
    const j = applyToJson("kvm01", report);
    expect(Object.keys(j)).toEqual(["host", "dryRun", "summary", "resources", "durationMs"]);
    expect(j.resources[1]).toEqual({
      kind: "domain",
      name: "web",
      policy: "p",
      outcome: "changed",
      changes: [{ field: "vcpus", from: 1, to: 2, disruption: "restart" }],
      pendingRestart: true,
      notes: ["pending restart"],
    });
    expect(j.resources[0]).not.toHaveProperty("attempts");
  });

  it("human output has a line per resource, changes as from → to, and a summary", () => {
    const out = renderApply("kvm01", report);
    expect(out).toContain("~ changed  domain web  [restart pending]");
    expect(out).toContain("      vcpus: 1 → 2 (restart)");
    expect(out).toContain("x failed   volume p/v\n      error: disk full");
    expect(out.trimEnd().split("\n").pop()).toBe("1 ok, 1 changed, 1 failed, 1 skipped in 1.2s");
    expect(renderApply("kvm01", { ...report, dryRun: true })).toMatch(/^Plan for kvm01 \(dry-run: nothing changed\)/);
  });

  it("marks destructive changes and truncates long values", () => {
    expect(renderChange({ field: "capacity", from: 2, to: 1, disruption: "recreate", destructive: true })).toBe(
      "capacity: 2 B → 1 B (recreate, destroys data)",
    );
    expect(renderChange({ field: "x", from: null, to: "y".repeat(100), disruption: "live" })).toMatch(
      /^x: ∅ → y{57}\.\.\. \(live\)$/,
    );
  });
});

describe("readable changes (issue 21 item 18)", () => {
  const base = { policy: "p", attempts: 1, durationMs: 1 };
  it("sizes in MiB/GiB, every disruption class named, every outcome of the contract marked", () => {
    const r: EngineReport = {
      dryRun: true,
      durationMs: 10,
      summary: { ...emptyOutcomeCounts(), drift: 1, blocked: 1, conflict: 1, suppressed: 1, "pending-restart": 1 },
      resources: [
        {
          ...base,
          kind: "domain",
          name: "web",
          outcome: "drift",
          changes: [
            { field: "memory", from: 134217728, to: 201326592, disruption: "restart" },
            { field: "vcpus", from: 1, to: 2, disruption: "live" },
          ],
        },
        {
          ...base,
          kind: "volume",
          name: "p/disk",
          outcome: "blocked",
          changes: [
            { field: "capacity", from: 10737418240, to: 5368709120, disruption: "recreate", destructive: true },
          ],
          error: "refused",
        },
        { ...base, kind: "network", name: "n", outcome: "conflict", changes: [] },
        { ...base, kind: "domain", name: "f", outcome: "suppressed", changes: [] },
        { ...base, kind: "domain", name: "g", outcome: "pending-restart", changes: [] },
      ],
    };
    const out = renderApply("kvm01", r);
    expect(out).toContain("memory: 128 MiB → 192 MiB (restart)");
    expect(out).toContain("vcpus: 1 → 2 (live)");
    expect(out).toContain("capacity: 10 GiB → 5 GiB (recreate, destroys data)");
    expect(out).not.toContain("134217728");
    expect(out).not.toContain("undefined");
    expect(out).toContain("# blocked  volume p/disk");
    expect(out).toContain("? conflict  network n");
    expect(out).toContain("= suppressed  domain f");
    expect(out).toContain("~ pending-restart  domain g");
    expect(out).toMatch(/1 blocked, 1 conflict, 1 suppressed, 1 pending-restart in/);
  });

  it("a guest whose only change is its spec hash shows the cloud-init fields that changed", () => {
    const r: EngineReport = {
      dryRun: true,
      durationMs: 10,
      summary: { ...emptyOutcomeCounts(), drift: 2 },
      resources: [
        {
          ...base,
          kind: "cloud-init-seed",
          name: "images/web-cidata.iso",
          outcome: "drift",
          changes: [
            { field: "cloudInit.instanceId", from: "a", to: "b", disruption: "live" },
            { field: "cloudInit.packages", from: ["curl"], to: ["curl", "jq"], disruption: "live" },
          ],
        },
        {
          ...base,
          kind: "domain",
          name: "web",
          outcome: "drift",
          changes: [{ field: "metadata.specHash", from: "1f2e", to: "9a8b", disruption: "restart" }],
        },
        {
          ...base,
          kind: "domain",
          name: "alone",
          outcome: "drift",
          changes: [{ field: "metadata.specHash", from: "1f2e", to: "9a8b", disruption: "restart" }],
        },
      ],
    };
    const out = renderApply("kvm01", r);
    expect(out).not.toContain("metadata.specHash");
    expect(out).toMatch(/domain web\n {6}cloudInit\.packages: \["curl"\] → \["curl","jq"\] \(restart\)/);
    expect(out).toMatch(/domain alone\n {6}cloudInit: previous seed → new seed .* \(restart\)/);
  });
});
