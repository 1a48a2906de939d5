/**
 * The state names of the CLI contract (spec/cli.md "State names"), used by every view, `--json`,
 * the wire and the dashboard. This file is their one owner: the engine's Outcome, the
 * controller's ingest checks and the CLI's views take them from here.
 */

/**
 * A resource's outcome in a run, a plan or the compliance view.
 * - ok: in sync; changed: applied (and checked again: now in sync); drift: differences found
 *   (dry-run, audit mode);
 * - failed: could not be checked or applied; skipped: something it depends on failed or was skipped;
 * - blocked: a refused change that would destroy or strand data (nothing was touched);
 * - conflict: an object of that name exists that virtfleet does not own (left alone; `adopt: true` takes it);
 * - suppressed: held by the flap guard (repaired too often);
 * - pending-restart: the definition is applied, the running guest keeps the old one until it restarts.
 */
export const RESOURCE_OUTCOMES = [
  "ok",
  "changed",
  "drift",
  "failed",
  "skipped",
  "blocked",
  "conflict",
  "suppressed",
  "pending-restart",
] as const;
export type ResourceOutcomeName = (typeof RESOURCE_OUTCOMES)[number];

/** Outcomes that leave a resource not converged to its policy (a rollout stage counts them against the host). */
export const UNCONVERGED_OUTCOMES: ReadonlySet<ResourceOutcomeName> = new Set([
  "drift",
  "failed",
  "skipped",
  "blocked",
  "conflict",
  "suppressed",
  "pending-restart",
]);

/** A zero count for every outcome (a run's summary). */
export function emptyOutcomeCounts(): Record<ResourceOutcomeName, number> {
  return Object.fromEntries(RESOURCE_OUTCOMES.map((o) => [o, 0])) as Record<ResourceOutcomeName, number>;
}

/**
 * A host's state as the controller shows it.
 * - connected / disconnected: its agent's stream;
 * - libvirt-unreachable: connected, but its agent cannot reach libvirtd;
 * - degraded: connected, but the agent cannot record events durably (state disk full or failing);
 * - removed: `virtfleet host remove` (revoked, no longer a target).
 */
export const HOST_STATES = ["connected", "disconnected", "libvirt-unreachable", "degraded", "removed"] as const;
export type HostStateName = (typeof HOST_STATES)[number];
