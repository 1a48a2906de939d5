import type { DriftEvent__Output } from "../../generated/proto/fleet/v1/DriftEvent.js";
import type { Report__Output } from "../../generated/proto/fleet/v1/Report.js";

const MAX_REASON = 300;

const clip = (s: string) => (s.length > MAX_REASON ? `${s.slice(0, MAX_REASON - 1)}…` : s);

/** Resource outcomes that fail a host in a rollout: failed, or refused (blocked: would strand data; conflict: not ours). */
export const HOST_FAILING_OUTCOMES: ReadonlySet<string> = new Set(["failed", "blocked", "conflict"]);

/**
 * How a convergence Report went for one policy: "failed" when any of the policy's resources
 * failed or was refused (reason: the first one and its error), else "ok". Resources of other
 * policies in the bundle do not count.
 */
export function policyOutcome(report: Report__Output, policy: string): { converged: "ok" | "failed"; reason?: string } {
  const failed = report.resources.filter((r) => r.policy === policy && HOST_FAILING_OUTCOMES.has(r.outcome));
  if (failed.length === 0) return { converged: "ok" };
  const first = failed[0]!;
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : "";
  return {
    converged: "failed",
    reason: clip(`${first.kind}/${first.name}: ${first.error || first.outcome}${more}`),
  };
}

/**
 * Whether a drift event counts against a rollout of `policy` whose host's stage started at
 * `stageStartedAt`: corrective drift (the host drifted, not the policy) of that policy's
 * enforced resources (repaired, failed or suppressed; not merely reported in audit mode)
 * detected since the stage started. Returns the reason, or undefined.
 */
export function driftAgainst(drift: DriftEvent__Output, policy: string, stageStartedAt: number): string | undefined {
  // "reported" = audit mode: the policy only watches, so drift says nothing about the revision.
  if (
    drift.policy !== policy ||
    drift.classification !== "corrective" ||
    drift.remediation === "reported" ||
    drift.detectedAtMs < stageStartedAt
  )
    return undefined;
  const fields = drift.fields.map((f) => f.field).join(", ");
  return clip(`drift of ${drift.kind}/${drift.name}${fields ? ` (${fields})` : ""}, ${drift.remediation}`);
}
