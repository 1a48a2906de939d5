import { POLICY_REMOVED, type Rollout, type RolloutHost, type RolloutStage } from "./types.js";

/** Whether `r` rolls out the removal of its policy (toRevision POLICY_REMOVED). */
export function isRemoval(r: Rollout): boolean {
  return r.toRevision === POLICY_REMOVED;
}

/** A revision a host can hold: POLICY_REMOVED means none (null). */
export function heldRevision(rev: string | null): string | null {
  return rev === POLICY_REMOVED ? null : rev;
}

/** True while the rollout can still change what hosts hold: pending, running, paused, or rolling back. */
export function isActive(r: Rollout): boolean {
  return (
    r.state === "pending" ||
    r.state === "running" ||
    r.state === "paused" ||
    (r.state === "failed" && r.rollback !== null && r.rollback.finishedAt === null)
  );
}

/** True when the rollout is undoing itself: state failed, rollback not finished. */
export function isRollingBack(r: Rollout): boolean {
  return r.state === "failed" && r.rollback !== null && r.rollback.finishedAt === null;
}

/** The revision hosts outside the stages hold: the new one once the rollout succeeded, else the previous good one. */
export function goodRevision(r: Rollout): string | null {
  return r.state === "succeeded" ? r.toRevision : r.fromRevision;
}

/**
 * The revision of `r.policy` that `host` must hold now (null = none: leave the policy out
 * of its bundle). Participants hold the new revision from the moment it was sent to them
 * until a rollback sends them the previous good one; before their stage they keep the
 * revision they held at the start. Hosts the rollout does not know get goodRevision().
 */
export function revisionFor(r: Rollout, host: string): string | null {
  const h = r.hosts[host];
  if (!h) return goodRevision(r);
  if (h.phase === "rollback-sent" || h.phase === "rolledback" || h.phase === "rollback-failed") return r.fromRevision;
  return h.receivedNew ? r.toRevision : h.baseline;
}

/** revisionFor() of every host the rollout knows, by name: the `held` input of a rollout that supersedes this one. */
export function heldRevisions(r: Rollout): Record<string, string | null> {
  return Object.fromEntries(Object.keys(r.hosts).map((h) => [h, revisionFor(r, h)]));
}

/** The stage in progress: waiting or soaking, or (while paused by failures) the stage that failed. */
export function activeStage(r: Rollout): RolloutStage | undefined {
  return r.stages.find(
    (s) => s.state === "waiting" || s.state === "soaking" || (s.state === "failed" && r.state === "paused"),
  );
}

/** Hosts that failed their forward step (failedAt set) or their rollback, sorted. */
export function failedHosts(r: Rollout): string[] {
  return Object.values(r.hosts)
    .filter((h) => h.failedAt !== null || h.phase === "rollback-failed")
    .map((h) => h.name)
    .sort();
}

/** Forward failures that count against maxFailures (all failures minus those accepted on resume). */
export function countedFailures(r: Rollout): number {
  return forwardFailures(r) - r.acceptedFailures;
}

export function forwardFailures(r: Rollout): number {
  return Object.values(r.hosts).filter((h) => h.failedAt !== null).length;
}

export function stageHosts(r: Rollout, s: RolloutStage): RolloutHost[] {
  return s.hosts.map((n) => r.hosts[n]).filter((h): h is RolloutHost => h !== undefined);
}
