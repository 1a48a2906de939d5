import type { DriftEvent__Output } from "../../generated/proto/fleet/v1/DriftEvent.js";
import type { Report__Output } from "../../generated/proto/fleet/v1/Report.js";
import { UNCONVERGED_OUTCOMES } from "../../common/wire/states.js";

const MAX_REASON = 300;

const clip = (s: string) => (s.length > MAX_REASON ? `${s.slice(0, MAX_REASON - 1)}…` : s);

/** Resource outcomes that fail a host in a rollout: failed, or refused (blocked: would strand data; conflict: not ours). */
export const HOST_FAILING_OUTCOMES: ReadonlySet<string> = new Set(["failed", "blocked", "conflict"]);

/**
 * Whether a resource's reported outcome leaves it not converged for a rollout stage
 * (UNCONVERGED_OUTCOMES): failed, skipped, blocked, conflict, suppressed (held by the flap
 * guard) and pending-restart (also ok/changed with pending_restart set, as agents before
 * protocol 2 report it). `drift` does not count: an enforced resource is repaired or held
 * (`suppressed`), so drift is an audit-mode policy's finding, which says nothing about the revision.
 */
export function unconvergedForRollout(o: { outcome: string; pendingRestart?: boolean }): boolean {
  if (o.pendingRestart === true && (o.outcome === "ok" || o.outcome === "changed")) return true;
  return o.outcome !== "drift" && (UNCONVERGED_OUTCOMES as ReadonlySet<string>).has(o.outcome);
}

/** `pending-restart` for ok/changed with the flag (agents before protocol 2), else the outcome. */
const outcomeName = (o: { outcome: string; pendingRestart?: boolean }) =>
  o.pendingRestart === true && (o.outcome === "ok" || o.outcome === "changed") ? "pending-restart" : o.outcome;

/**
 * How a convergence Report went for one policy: "failed" when any of the policy's resources
 * did not converge (unconvergedForRollout; reason: the first one, its outcome and error), else
 * "ok". Resources of other policies in the bundle do not count.
 */
export function policyOutcome(report: Report__Output, policy: string): { converged: "ok" | "failed"; reason?: string } {
  const failed = report.resources.filter((r) => r.policy === policy && unconvergedForRollout(r));
  if (failed.length === 0) return { converged: "ok" };
  return { converged: "failed", reason: unconvergedReason(failed) };
}

/**
 * How a Report went for a host rolling back `policy`: "failed" only when a resource of it
 * failed, was blocked or is in conflict; a guest still waiting for a restart, or a resource
 * the flap guard holds, does not keep a host from having returned to the previous revision.
 */
export function rollbackOutcome(
  resources: readonly { policy: string; kind: string; name: string; outcome: string; error: string }[],
  policy: string,
): { converged: "ok" | "failed"; reason?: string } {
  const failed = resources.filter((r) => r.policy === policy && HOST_FAILING_OUTCOMES.has(r.outcome));
  return failed.length === 0 ? { converged: "ok" } : { converged: "failed", reason: unconvergedReason(failed) };
}

/** `domain/web: suppressed: repaired 3 times … (and 2 more)` for the first of `resources`. */
export function unconvergedReason(
  resources: readonly { kind: string; name: string; outcome: string; error: string; pendingRestart?: boolean }[],
): string {
  const first = resources[0]!;
  const more = resources.length > 1 ? ` (and ${resources.length - 1} more)` : "";
  const outcome = outcomeName(first);
  const why = outcome === "failed" ? first.error || "failed" : `${outcome}${first.error ? `: ${first.error}` : ""}`;
  return clip(`${first.kind}/${first.name}: ${why}${more}`);
}

/** What driftAgainst reads of a drift event: the stream's DriftEvent, or a stored one (driftFactsOf). */
export type DriftFacts = Pick<
  DriftEvent__Output,
  "policy" | "kind" | "name" | "classification" | "remediation" | "detectedAtMs"
> & { fields: readonly { field: string }[] };

/** A stored drift state (another replica's ingest, read back) as driftAgainst reads it. */
export function driftFactsOf(d: {
  policy: string;
  kind: string;
  name: string;
  classification: string;
  remediation: string;
  detectedAt: number;
  fields: readonly { field: string }[];
}): DriftFacts {
  return { ...d, detectedAtMs: d.detectedAt };
}

/**
 * Whether a drift event counts against a rollout of `policy` whose host's stage started at
 * `stageStartedAt`: corrective drift (the host drifted, not the policy) of that policy's
 * enforced resources (repaired, failed or suppressed; not merely reported in audit mode)
 * detected since the stage started. Returns the reason, or undefined.
 */
export function driftAgainst(drift: DriftFacts, policy: string, stageStartedAt: number): string | undefined {
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

export type Outcome = { converged: "ok" | "failed"; reason?: string };
export type StoredOutcome = { outcome: Outcome; returned: Outcome };

/** An outcome from a failure reason (undefined: ok). */
export const known = (reason: string | undefined): Outcome =>
  reason === undefined ? { converged: "ok" } : { converged: "failed", reason };

/** How `policy` went on a host, from its stored resource status (its newest reports). */
export function storedOutcome(
  status: readonly {
    policy: string;
    kind: string;
    name: string;
    outcome: string;
    error: string;
    pendingRestart?: boolean;
  }[],
  policy: string,
): StoredOutcome {
  const unconverged = status.filter((s) => s.policy === policy && unconvergedForRollout(s));
  return {
    outcome:
      unconverged.length > 0 ? { converged: "failed", reason: unconvergedReason(unconverged) } : { converged: "ok" },
    returned: rollbackOutcome(status, policy),
  };
}
