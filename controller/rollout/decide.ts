import { goodRevision, heldRevision, heldRevisions, isActive, isRemoval, isRollingBack } from "./queries.js";
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
  // After a removal rollout, what hosts hold is known (heldRevisions): no fresh start from nothing.
  if (!latest || (readded && !isRemoval(latest)))
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
    return { type: "start", fromRevision: latest.fromRevision, held: heldOf(latest), supersede: latest };
  }
  const good = heldRevision(goodRevision(latest));
  if (good === inForce) return { type: "none" };
  return { type: "start", fromRevision: good, held: heldOf(latest), supersede: undefined };
}

/** heldRevisions() with a removal's POLICY_REMOVED as "holds none" (null). */
function heldOf(r: Rollout): Record<string, string | null> {
  return Object.fromEntries(Object.entries(heldRevisions(r)).map(([h, rev]) => [h, heldRevision(rev)]));
}

/** What removing a policy (its file deleted) asks of its rollouts. */
export type RemovalDecision =
  | { type: "none" }
  | {
      type: "start";
      /** The good revision hosts outside started stages keep until their stage. */
      fromRevision: string | null;
      held: Record<string, string | null>;
      supersede: Rollout | undefined;
    };

/**
 * Decides what removing a policy means given its newest rollout: a removal is a rollout
 * like any other revision (POLICY_REMOVED), from the revision hosts hold, in stages, with
 * soak and rollback. Nothing to do when there is no rollout, the newest already removes it
 * (idempotent, also after a restart), or no host holds any revision of it.
 */
export function decideOnRemoval(latest: Rollout | undefined): RemovalDecision {
  if (!latest || isRemoval(latest)) return { type: "none" };
  const held = heldOf(latest);
  const active = isActive(latest);
  const fromRevision = active ? latest.fromRevision : heldRevision(goodRevision(latest));
  if (fromRevision === null && Object.values(held).every((r) => r === null))
    return active ? { type: "start", fromRevision, held, supersede: latest } : { type: "none" };
  return { type: "start", fromRevision, held, supersede: active ? latest : undefined };
}
