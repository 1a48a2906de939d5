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
      "capacity: 2 → 1 (recreate, destroys data)",
    );
    expect(renderChange({ field: "x", from: null, to: "y".repeat(100), disruption: "live" })).toMatch(
      /^x: ∅ → y{57}\.\.\.$/,
    );
  });
});
