import { setTimeout as sleep } from "node:timers/promises";
import { describeError, type LoadedPolicy } from "../../common/index.js";
import type { AgentService } from "../agents/index.js";
import type { BundleService } from "../bundles/index.js";
import { aggregatePlan, aggregateRemoval, type PlanAnswer, type PlanJson, type PlanRequester } from "../plan/index.js";

/** Default wait for the hosts' dry-run answers. */
export const DEFAULT_PLAN_TIMEOUT_MS = 30_000;
/** After a controller start, targets not connected yet are waited for this long (agents reconnecting). */
export const RECONNECT_GRACE_MS = 10_000;
const POLL_MS = 200;

export interface FleetPlanDeps {
  agents: AgentService;
  bundles: BundleService;
  requester: PlanRequester;
  /** When the controller started (ms): within RECONNECT_GRACE_MS of it, offline targets are waited for. */
  startedAt: number;
  now?: () => number;
}

/**
 * The fleet-wide dry-run of `policy` (a revision, in force or pending) on `targets`: each
 * connected target dry-runs the bundle it would hold with that revision (its other policies
 * as they are), at most `timeoutMs` in all; targets not connected are "offline". Never throws
 * for a host's failure: that host's answer says what happened.
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
 * Each target's dry-run answer to the bundle `bundleFor` gives it: a target not connected is
 * waited for while the controller is young (RECONNECT_GRACE_MS), then "offline"; no bundle →
 * "offline"; past `timeoutMs` in all → "timeout"; a bundle that cannot be computed → "error".
 */
async function collectAnswers(
  deps: FleetPlanDeps,
  targets: readonly string[],
  timeoutMs: number,
  bundleFor: (host: string) => Promise<Parameters<FleetPlanDeps["requester"]["request"]>[1] | undefined>,
): Promise<Map<string, PlanAnswer>> {
  const now = deps.now ?? Date.now;
  const deadline = now() + timeoutMs;
  const waitUntil = Math.min(deadline, deps.startedAt + RECONNECT_GRACE_MS);
  const answers = new Map<string, PlanAnswer>();
  await Promise.all(
    targets.map(async (host) => {
      try {
        while (!deps.agents.session(host) && now() < waitUntil) await sleep(POLL_MS);
        const session = deps.agents.session(host);
        const bundle = session ? await bundleFor(host) : undefined;
        if (!session || !bundle) return answers.set(host, { status: "offline" });
        const left = deadline - now();
        answers.set(host, left <= 0 ? { status: "timeout" } : await deps.requester.request(session, bundle, left));
      } catch (err) {
        answers.set(host, { status: "error", error: `the host's bundle could not be computed: ${describeError(err)}` });
      }
    }),
  );
  return answers;
}
