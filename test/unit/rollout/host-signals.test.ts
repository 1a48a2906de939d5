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

  it("a refused change (blocked, conflict) fails the host like a failure", () => {
    const msg = "pool/images: path /a → /b would strand its 3 volumes";
    expect(policyOutcome(report([outcome("web", "p", "blocked", msg)]), "web")).toEqual({
      converged: "failed",
      reason: `domain/p: ${msg}`,
    });
    expect(policyOutcome(report([outcome("web", "p", "conflict")]), "web")).toEqual({
      converged: "failed",
      reason: "domain/p: conflict",
    });
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
