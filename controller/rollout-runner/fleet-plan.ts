import { setTimeout as sleep } from "node:timers/promises";
import { describeError, type LoadedPolicy } from "../../common/index.js";
import type { BundleService } from "../bundles/index.js";
import {
  aggregatePlan,
  aggregateRemoval,
  type HostPlanner,
  type PlanAnswer,
  type PlanBundle,
  type PlanJson,
} from "../plan/index.js";

/** Default wait for the hosts' dry-run answers. */
export const DEFAULT_PLAN_TIMEOUT_MS = 30_000;
/** After a controller start, targets not connected yet are waited for this long (agents reconnecting). */
export const RECONNECT_GRACE_MS = 10_000;
const POLL_MS = 200;

export interface FleetPlanDeps {
  bundles: BundleService;
  /** Asks each target, on this replica's streams or (replicas) through the one holding it (PlanRouter). */
  planner: HostPlanner;
  /** When the controller started (ms): within RECONNECT_GRACE_MS of it, offline targets are waited for. */
  startedAt: number;
  now?: () => number;
}

/**
 * The fleet-wide dry-run of `policy` (a revision, in force or pending) on `targets`: each
 * connected target (on any controller replica) dry-runs the bundle it would hold with that
 * revision (its other policies as they are), at most `timeoutMs` in all; targets not connected
 * are "offline". Never throws for a host's failure: that host's answer says what happened.
 */
export async function planFleet(
  deps: FleetPlanDeps,
  policy: LoadedPolicy,
  previousRevision: string | null,
  targets: readonly string[],
  timeoutMs = DEFAULT_PLAN_TIMEOUT_MS,
): Promise<PlanJson> {
  const answers = await collectAnswers(deps, targets, timeoutMs, (host) => deps.bundles.hypothetical(host, policy));
  return aggregatePlan({
    policy: policy.name,
    revision: policy.revision,
    previousRevision,
    targets: [...targets],
    answers,
    now: (deps.now ?? Date.now)(),
  });
}

/**
 * The fleet-wide plan of removing `policy` (its file deleted) on `targets` (the hosts that
 * hold it): each connected target dry-runs the bundle it would hold without the policy, and
 * the plan lists what the policy leaves unmanaged there (aggregateRemoval). Same waiting and
 * failure rules as planFleet; `targets` empty: nothing holds it any more.
 */
export async function planRemoval(
  deps: FleetPlanDeps,
  policy: string,
  previousRevision: string | null,
  targets: readonly string[],
  timeoutMs = DEFAULT_PLAN_TIMEOUT_MS,
): Promise<PlanJson> {
  const held = new Map<string, string>();
  const answers = await collectAnswers(deps, targets, timeoutMs, async (host) => {
    const without = await deps.bundles.hypotheticalWithout(host, policy);
    if (without?.held !== undefined) held.set(host, without.held);
    return without?.bundle;
  });
  return aggregateRemoval({
    policy,
    previousRevision,
    targets: [...targets],
    held,
    answers,
    now: (deps.now ?? Date.now)(),
  });
}

/**
 * Each target's dry-run answer to the bundle `bundleFor` gives it: a target not connected (on
 * any replica: `planner.reachable`) is waited for while the controller is young
 * (RECONNECT_GRACE_MS), then "offline"; no bundle → "offline"; past `timeoutMs` in all →
 * "timeout"; a bundle that cannot be computed → "error". While waiting, the targets not yet
 * connected are looked up together every POLL_MS (one store read with replicas).
 */
async function collectAnswers(
  deps: FleetPlanDeps,
  targets: readonly string[],
  timeoutMs: number,
  bundleFor: (host: string) => Promise<PlanBundle | undefined>,
): Promise<Map<string, PlanAnswer>> {
  const now = deps.now ?? Date.now;
  const deadline = now() + timeoutMs;
  const waitUntil = Math.min(deadline, deps.startedAt + RECONNECT_GRACE_MS);
  const answers = new Map<string, PlanAnswer>();
  const ask = async (host: string): Promise<void> => {
    try {
      const bundle = await bundleFor(host);
      if (!bundle) return void answers.set(host, { status: "offline" });
      const left = deadline - now();
      answers.set(host, left <= 0 ? { status: "timeout" } : await deps.planner.plan(host, bundle, left));
    } catch (err) {
      answers.set(host, { status: "error", error: `the host's bundle could not be computed: ${describeError(err)}` });
    }
  };
  const asked: Promise<void>[] = [];
  let waiting = [...new Set(targets)];
  for (;;) {
    let reachable: Set<string>;
    try {
      reachable = await deps.planner.reachable(waiting);
    } catch (err) {
      for (const host of waiting)
        answers.set(host, {
          status: "error",
          error: `cannot tell whether the host is connected: ${describeError(err)}`,
        });
      break;
    }
    for (const host of waiting) if (reachable.has(host)) asked.push(ask(host));
    waiting = waiting.filter((h) => !reachable.has(h));
    if (waiting.length === 0 || now() >= waitUntil) break;
    await sleep(POLL_MS);
  }
  for (const host of waiting) if (!answers.has(host)) answers.set(host, { status: "offline" });
  await Promise.all(asked);
  return answers;
}
