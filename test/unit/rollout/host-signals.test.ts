import { describe, expect, it } from "vitest";
import { driftAgainst, policyOutcome } from "../../../controller/rollout-runner/index.js";
import type { DriftEvent__Output } from "../../../generated/proto/fleet/v1/DriftEvent.js";
import type { Report__Output } from "../../../generated/proto/fleet/v1/Report.js";

const outcome = (policy: string, name: string, result: string, error = "") => ({
  kind: "domain",
  name,
  policy,
  outcome: result,
  changesJson: "[]",
  error,
  pendingRestart: false,
  changes: [],
});
const report = (resources: ReturnType<typeof outcome>[]): Report__Output => ({
  eventSeq: 1,
  generation: 3,
  bundleRevision: "b",
  trigger: "bundle",
  startedAtMs: 0,
  durationMs: 1,
  dryRun: false,
  resources,
});
const drift = (over: Partial<DriftEvent__Output> = {}): DriftEvent__Output => ({
  eventSeq: 1,
  id: "d1",
  policy: "web",
  kind: "domain",
  name: "web-01",
  fields: [{ field: "state", desiredJson: '"running"', actualJson: '"shutoff"', desired: null, actual: null }],
  detectedAtMs: 2_000,
  source: "event",
  remediation: "repaired",
  resolvedAtMs: 0,
  classification: "corrective",
  detail: "",
  ...over,
});

describe("policyOutcome", () => {
  it("fails on the policy's own failed resources only, naming the first", () => {
    expect(
      policyOutcome(report([outcome("web", "a", "changed"), outcome("db", "b", "failed", "boom")]), "web"),
    ).toEqual({ converged: "ok" });
    const r = policyOutcome(
      report([outcome("web", "a", "failed", "no memory"), outcome("web", "b", "failed", "x")]),
      "web",
    );
    expect(r).toEqual({ converged: "failed", reason: "domain/a: no memory (and 1 more)" });
  });

  it("counts every outcome that leaves a resource unconverged, not audit-mode drift", () => {
    for (const o of ["suppressed", "pending-restart", "blocked", "conflict", "skipped"])
      expect(policyOutcome(report([outcome("web", "a", "ok"), outcome("web", "b", o)]), "web")).toEqual({
        converged: "failed",
        reason: `domain/b: ${o}`,
      });
    expect(policyOutcome(report([outcome("web", "a", "drift")]), "web")).toEqual({ converged: "ok" });
    // an agent before protocol 2 flags the restart on an ok/changed outcome
    const old = { ...outcome("web", "a", "changed"), pendingRestart: true };
    expect(policyOutcome(report([old]), "web")).toEqual({ converged: "failed", reason: "domain/a: pending-restart" });
    const held = outcome("web", "a", "suppressed", "repaired 3 times within 600 s");
    expect(policyOutcome(report([held]), "web").reason).toBe("domain/a: suppressed: repaired 3 times within 600 s");
  });

  it("clips long errors", () => {
    const r = policyOutcome(report([outcome("web", "a", "failed", "e".repeat(5_000))]), "web");
    expect(r.reason!.length).toBeLessThanOrEqual(300);
  });
});

describe("driftAgainst", () => {
  it("counts corrective drift of the policy since the stage started", () => {
    expect(driftAgainst(drift(), "web", 1_000)).toBe("drift of domain/web-01 (state), repaired");
  });

  it("ignores other policies, intentional changes, audit-mode reports and drift from before the stage", () => {
    expect(driftAgainst(drift({ policy: "db" }), "web", 1_000)).toBeUndefined();
    expect(driftAgainst(drift({ classification: "intentional" }), "web", 1_000)).toBeUndefined();
    expect(driftAgainst(drift({ remediation: "reported" }), "web", 1_000)).toBeUndefined();
    expect(driftAgainst(drift({ detectedAtMs: 500 }), "web", 1_000)).toBeUndefined();
    expect(driftAgainst(drift({ remediation: "failed" }), "web", 1_000)).toContain("failed");
  });
});
