import type { FieldChange } from "../../common/index.js";
import type { PlanOutcome } from "../agent-messages/index.js";
import type { PlanAnswer } from "./plan-requester.js";
import type { HostPlan, PlanJson, PlannedResource } from "./types.js";

export interface AggregateInput {
  /** The policy planned: only its resources count (a host's bundle holds all its policies). */
  policy: string;
  revision: string;
  previousRevision: string | null;
  /** Hosts the revision targets; a target without an answer is "offline". */
  targets: string[];
  answers: ReadonlyMap<string, PlanAnswer>;
  /** ms since the epoch (plannedAt). */
  now: number;
}

const SEVERITY = { none: 0, live: 1, restart: 2, recreate: 3 } as const;
type Severity = keyof typeof SEVERITY;

/**
 * The fleet-wide plan of one policy revision from the hosts' dry-run answers. Pure.
 *
 * Per resource of `policy`: "ok" and "skipped" are left out; "drift"/"changed" are listed
 * as create, remove or change; "failed", "blocked" and "conflict" as such with their error
 * (counted as failed in the host's and the summary's counts). Create and remove follow
 * the convention every resource (kinds/<kind>/resource.ts) uses in a dry-run: a missing
 * object is reported as the change `{ field: "state", from: "absent", to: <wanted> }`, and
 * an object the policy removes (state: absent) as `{ field: "state", from: <now>, to:
 * "absent" }`; anything else (including a volume whose pool is inactive, from "unknown
 * (pool inactive)") is a change. `disruption` is the worst of the changes (recreate >
 * restart > live; "none" without changes). A change that would destroy or strand data (a
 * pool holding volumes moved, a volume shrunk, a domain recreated) is refused by the agent
 * even in a dry-run, so it arrives as blocked with an error saying what to do.
 *
 * Per host: create/change/remove/failed count those actions; restart/recreate count
 * domains whose worst disruption is restart/recreate; `wouldChange` is true when anything
 * would be created, changed or removed. Hosts are sorted by name; targets are
 * de-duplicated; answers for hosts not targeted are ignored.
 */
export function aggregatePlan(input: AggregateInput): PlanJson {
  const names = [...new Set(input.targets)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hosts = names.map((name) => hostPlan(name, input.answers.get(name), input.policy));
  return fleetPlan(input, input.revision, names.length, hosts);
}

/**
 * The fleet plan around per-host plans (sorted, one per target): the summary counts added up
 * over the hosts. Shared by a revision's plan and a removal's (removal.ts).
 */
export function fleetPlan(
  input: { policy: string; previousRevision: string | null; now: number },
  revision: string,
  targets: number,
  hosts: HostPlan[],
): PlanJson {
  const summary: PlanJson["summary"] = {
    hostsPlanned: 0,
    hostsChanging: 0,
    hostsUnanswered: 0,
    create: 0,
    change: 0,
    remove: 0,
    guestsRestart: 0,
    guestsRecreate: 0,
    failed: 0,
  };
  for (const h of hosts) {
    if (h.status === "planned") summary.hostsPlanned += 1;
    else summary.hostsUnanswered += 1;
    if (h.wouldChange) summary.hostsChanging += 1;
    summary.create += h.create;
    summary.change += h.change;
    summary.remove += h.remove;
    summary.guestsRestart += h.restart;
    summary.guestsRecreate += h.recreate;
    summary.failed += h.failed;
  }
  const plan: PlanJson = {
    policy: input.policy,
    revision,
    plannedAt: new Date(input.now).toISOString(),
    targets,
    summary,
    hosts,
  };
  if (input.previousRevision !== null) plan.previousRevision = input.previousRevision;
  return plan;
}

function hostPlan(name: string, answer: PlanAnswer | undefined, policy: string): HostPlan {
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
  for (const o of answer.resources) {
    if (o.policy !== policy) continue;
    const r = plannedResource(o);
    if (!r) continue;
    plan.resources.push(r);
    countAction(plan, r);
    if (r.kind === "domain" && (r.disruption === "restart" || r.disruption === "recreate")) plan[r.disruption] += 1;
  }
  plan.wouldChange = plan.create + plan.change + plan.remove > 0;
  return plan;
}

function plannedResource(o: PlanOutcome): PlannedResource | null {
  if (o.outcome === "ok" || o.outcome === "skipped") return null;
  const base = { policy: o.policy, kind: o.kind, name: o.name, disruption: worst(o.changes), changes: o.changes };
  if (o.outcome === "failed" || o.outcome === "blocked" || o.outcome === "conflict")
    return { ...base, action: o.outcome, error: o.error };
  return { ...base, action: actionOf(o.changes) };
}

function actionOf(changes: readonly FieldChange[]): "create" | "change" | "remove" {
  const state = changes.find((c) => c.field === "state");
  if (state?.from === "absent") return "create";
  if (state?.to === "absent") return "remove";
  return "change";
}

function worst(changes: readonly FieldChange[]): Severity {
  let w: Severity = "none";
  for (const c of changes) if (SEVERITY[c.disruption] > SEVERITY[w]) w = c.disruption;
  return w;
}

/** Adds `r` to its host plan's counts: a refusal (blocked, conflict) counts as failed; "unmanage" is not counted. */
export function countAction(plan: HostPlan, r: PlannedResource): void {
  if (r.action === "unmanage") return;
  plan[r.action === "blocked" || r.action === "conflict" ? "failed" : r.action] += 1;
}
