import type { FieldChange } from "../../common/index.js";
import { POLICY_KINDS } from "../../kinds/policy-kinds.js";
import type { PlanOutcome } from "../agent-messages/index.js";
import { countAction, fleetPlan } from "./aggregate.js";
import type { PlanAnswer } from "./plan-requester.js";
import type { HostPlan, PlanJson, PlannedResource } from "./types.js";

/** `PlanJson.revision` of a removal plan (controller/rollout POLICY_REMOVED). */
export const REMOVAL_REVISION = "removed";

export interface RemovalInput {
  policy: string;
  /** The revision hosts hold now (null = none known). */
  previousRevision: string | null;
  /** Hosts that hold a revision of the policy. */
  targets: string[];
  /** Per target: the policy's resolved spec it holds now (ResolvedPolicy JSON), when known. */
  held: ReadonlyMap<string, string>;
  /** Per target: the dry-run of its bundle without the policy. */
  answers: ReadonlyMap<string, PlanAnswer>;
  now: number;
}

/**
 * The fleet plan of removing a policy (its file deleted). Pure. Per host, every resource the
 * policy declared there is listed with action "unmanage": virtfleet stops managing it and
 * leaves it in place (nothing is deleted or stopped; a resource it declared `state: absent`
 * is no longer kept absent: its change is `state: absent → absent`). Resources another
 * policy declares too (it lost them to this one by priority) and that would now change are
 * listed with that policy's change, as in any plan. `wouldChange` is true when the host holds
 * anything of the policy. Counts: create/change/remove count the other policies' changes.
 */
export function aggregateRemoval(input: RemovalInput): PlanJson {
  const names = [...new Set(input.targets)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hosts = names.map((name) => removalHostPlan(name, input));
  return fleetPlan(input, REMOVAL_REVISION, names.length, hosts);
}

/** The identities (claim kind + name) `resolvedJson` declares, and whether each is declared absent. */
export function heldResources(resolvedJson: string): { kind: string; name: string; absent: boolean }[] {
  let resolved: { resources?: Record<string, unknown> };
  try {
    resolved = JSON.parse(resolvedJson) as typeof resolved;
  } catch {
    return [];
  }
  const out: { kind: string; name: string; absent: boolean }[] = [];
  for (const kind of POLICY_KINDS) {
    const spec = resolved.resources?.[kind.key];
    const items = kind.many ? ((spec ?? []) as unknown[]) : spec == null ? [] : [spec];
    for (const item of items) {
      const absent = (item as { state?: unknown }).state === "absent";
      for (const c of kind.claims(item as never)) out.push({ kind: c.kind, name: c.name, absent });
    }
  }
  return out;
}

function removalHostPlan(name: string, input: RemovalInput): HostPlan {
  const answer = input.answers.get(name);
  const plan: HostPlan = {
    name,
    status: answer?.status ?? "offline",
    wouldChange: false,
    create: 0,
    change: 0,
    remove: 0,
    restart: 0,
    recreate: 0,
    failed: 0,
    resources: [],
  };
  if (!answer || answer.status !== "planned") {
    if (answer?.status === "error") plan.error = answer.error;
    return plan;
  }
  plan.durationMs = answer.durationMs;
  const held = heldResources(input.held.get(name) ?? "");
  const claimed = new Set(held.map((r) => `${r.kind}/${r.name}`));
  for (const r of held) {
    const changes: FieldChange[] = r.absent
      ? [{ field: "state", from: "absent", to: "absent", disruption: "live" }]
      : [];
    plan.resources.push({
      policy: input.policy,
      kind: r.kind,
      name: r.name,
      action: "unmanage",
      disruption: "none",
      changes,
    });
  }
  for (const o of answer.resources) {
    if (!claimed.has(`${o.kind}/${o.name}`)) continue;
    const r = takeover(o);
    if (!r) continue;
    plan.resources.push(r);
    countAction(plan, r);
  }
  plan.wouldChange = plan.resources.length > 0;
  return plan;
}

function takeover(o: PlanOutcome): PlannedResource | null {
  if (o.outcome === "ok" || o.outcome === "skipped") return null;
  const base = { policy: o.policy, kind: o.kind, name: o.name, disruption: "live" as const, changes: o.changes };
  if (o.outcome === "failed") return { ...base, action: "failed", error: o.error };
  const state = o.changes.find((c) => c.field === "state");
  return { ...base, action: state?.from === "absent" ? "create" : state?.to === "absent" ? "remove" : "change" };
}
