import { goodRevision, heldRevisions, isActive, isRollingBack } from "./queries.js";
import type { Rollout } from "./types.js";

/** What a policy's revision in force asks of its rollouts. */
export type RevisionDecision =
  /** Nothing: the newest rollout already carries this revision, or it is the good one anyway. */
  | { type: "none" }
  /** The policy went back to the revision the active rollout started from: roll that rollout back. */
  | { type: "revert"; rollout: Rollout }
  /** Start a rollout to the revision (after superseding `supersede` when set). */
  | {
      type: "start";
      fromRevision: string | null;
      held: Record<string, string | null> | undefined;
      supersede: Rollout | undefined;
    };

/**
 * Decides what the revision in force `inForce` (policy generation `generation`) of a policy
 * means given its newest rollout `latest` (undefined = none yet) and whether the policy was
 * removed before this revision (`readded`: no host holds any revision of it).
 * Contract: idempotent — after acting on a decision, deciding again on the same inputs
 * (e.g. after a controller restart) gives `none`. A revision that comes back at a later
 * generation (B, rolled back, then A, then B again) is a new rollout.
 */
export function decideOnRevision(
  latest: Rollout | undefined,
  inForce: string,
  generation: number,
  readded = false,
): RevisionDecision {
  if (
    latest &&
    latest.toRevision === inForce &&
    (latest.policyGeneration === generation || latest.policyGeneration === 0)
  )
    return { type: "none" };
  if (!latest || readded)
    return {
      type: "start",
      fromRevision: null,
      held: undefined,
      supersede: latest && isActive(latest) ? latest : undefined,
    };
  if (isActive(latest)) {
    if (latest.toRevision === inForce) return { type: "none" };
    if (latest.fromRevision === inForce)
      return isRollingBack(latest) ? { type: "none" } : { type: "revert", rollout: latest };
    return { type: "start", fromRevision: latest.fromRevision, held: heldRevisions(latest), supersede: latest };
  }
  const good = goodRevision(latest);
  if (good === inForce) return { type: "none" };
  return { type: "start", fromRevision: good, held: heldRevisions(latest), supersede: undefined };
}
