import type { PolicyMode } from "../../kinds/resolved-policy.js";
import { isConnectionError, isTimeout } from "../../libvirt/index.js";

/**
 * How a bundle runs: `enforce` repairs what differs (except what audit mode or the caller's
 * hold keeps to checking); `dry-run` only reads and compares, everything.
 */
export type RunMode = "enforce" | "dry-run";

/**
 * Who runs the bundle, which decides what is worth retrying within the run:
 * - `agent`: the enforcer and the planner. Another run always follows (the next event or
 *   resync, the controller asking again), so only a dropped libvirt connection is retried
 *   (the client reconnects by itself); a libvirt call that timed out is left to that next
 *   run, so a hung libvirtd does not hold the agent's one run three times as long.
 * - `local`: `virtfleet apply --local`. Nothing follows and a person waits for the result,
 *   so a libvirt call that timed out is retried as well.
 */
export type RunOrigin = "agent" | "local";

/** Why a resource is only checked in a run (never changed), or null when the run may change it. */
export type CheckOnlyReason = "dry-run" | "audit" | "held";

/**
 * The one place that decides whether a resource may be changed. Contract: a dry-run changes
 * nothing; an audit-mode policy's resource is only ever checked (its differences are drift);
 * in an enforce run a resource the caller holds (the enforcer's flap guard) is only checked;
 * everything else is repaired. `isHeld` is asked only for a resource an enforce run would
 * otherwise repair, so a held audit-mode resource is not reported as held.
 */
export function checkOnlyReason(mode: RunMode, policyMode: PolicyMode, isHeld: () => boolean): CheckOnlyReason | null {
  if (mode === "dry-run") return "dry-run";
  if (policyMode === "audit") return "audit";
  return isHeld() ? "held" : null;
}

/**
 * The one transient-error policy (see RunOrigin): which errors the engine retries, with
 * jittered backoff, within a run. Everything else is terminal for that resource in this run.
 */
export function isTransientFor(origin: RunOrigin): (err: unknown) => boolean {
  return origin === "local" ? (err) => isConnectionError(err) || isTimeout(err) : isConnectionError;
}
