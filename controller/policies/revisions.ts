import type { LoadedPolicy } from "../../common/index.js";

/** The revision in force for one policy. */
export interface RevisionInForce {
  policy: string;
  revision: string;
  generation: number;
}

/** What an accepted load changes. */
export interface RevisionPlan {
  /** Policies that are new or whose content revision changed, with their next generation. */
  created: { policy: LoadedPolicy; generation: number }[];
  /** Policies in force that the folder no longer has. */
  removed: string[];
  /** Policies whose content revision is the one in force. */
  unchanged: string[];
}

/**
 * Compares a validated load with the revisions in force. A policy gets a new revision only
 * when its content revision differs from the one in force (or it has none); its generation
 * is the highest generation it ever had (`lastGeneration`, including removed ones) + 1,
 * starting at 1.
 */
export function planRevisions(
  inForce: readonly RevisionInForce[],
  loaded: readonly LoadedPolicy[],
  lastGeneration: (policy: string) => number,
): RevisionPlan {
  const current = new Map(inForce.map((r) => [r.policy, r]));
  const plan: RevisionPlan = { created: [], removed: [], unchanged: [] };
  const seen = new Set<string>();
  for (const p of loaded) {
    seen.add(p.name);
    const now = current.get(p.name);
    if (now && now.revision === p.revision) plan.unchanged.push(p.name);
    else plan.created.push({ policy: p, generation: Math.max(lastGeneration(p.name), now?.generation ?? 0) + 1 });
  }
  for (const r of inForce) if (!seen.has(r.policy)) plan.removed.push(r.policy);
  plan.removed.sort();
  return plan;
}
