import type { Outcome, ValidReport } from "../agent-messages/index.js";
import { emptyOutcomeCounts } from "../../common/wire/index.js";

/** Triggers whose report covers every resource of the bundle: rows not in it are removed. */
const FULL_RUN_TRIGGERS = new Set(["bundle", "resync", "startup"]);

/** A resource that became failed, blocked or conflict (or whose error changed): alert once. */
export interface PlannedFailure {
  host: string;
  policy: string;
  kind: string;
  name: string;
  error: string;
  eventSeq: number;
  at: number;
}

/** A `reports` row (positional order of its INSERT). */
export interface ReportRow {
  host: string;
  eventSeq: number;
  generation: number;
  revision: string;
  trigger: string;
  startedAt: number;
  durationMs: number;
  dryRun: number;
  summaryJson: string;
  now: number;
}

/** A resource_status row as written. */
export interface StatusRow {
  host: string;
  policy: string;
  kind: string;
  name: string;
  outcome: string;
  changesJson: string;
  error: string;
  pendingRestart: number;
  generation: number;
  eventSeq: number;
  now: number;
}

/** A stored resource_status row, as the plan needs it. */
export interface StoredStatus {
  host: string;
  kind: string;
  name: string;
  outcome: string;
  error: string;
  event_seq: number;
}

/** What one host's new reports of a batch leave behind. */
export interface HostReportPlan {
  host: string;
  /**
   * Delete the host's stored statuses with an event_seq below this (a full run's); every
   * stored one is below it, as the batch's events are newer than anything stored.
   */
  pruneBelow?: number;
  /** The statuses to upsert, one per kind/name (the newest report's). */
  statuses: StatusRow[];
  /** The last non-dry-run report: the host's observed generation and revision. */
  observed?: { generation: number; revision: string };
  /** The policies the host converged, from its last report naming its current bundle. */
  observedPolicies?: { generation: number; policies: { name: string; revision: string }[] };
}

/** A batch's new reports, decided in memory and then written in a few statements. */
export interface ReportPlan {
  reports: ReportRow[];
  failures: PlannedFailure[];
  hosts: HostReportPlan[];
}

/**
 * The effect of applying `reports` (each host's new reports, in order) one after the other,
 * as EventStore's contract states it, computed from what is stored before the batch:
 * `stored` statuses of these hosts and `bundles` (each host's current bundle revision and
 * policies). Applying the plan's writes gives the same rows as applying the reports in turn.
 */
export function planReports(
  reports: readonly { host: string; report: ValidReport }[],
  stored: readonly StoredStatus[],
  bundles: ReadonlyMap<string, { revision: string; policies: { name: string; revision: string }[] }>,
  now: number,
): ReportPlan {
  const plan: ReportPlan = { reports: [], failures: [], hosts: [] };
  const byHost = new Map<string, { plan: HostReportPlan; status: Map<string, Known> }>();
  for (const s of stored) stateOf(byHost, s.host).status.set(`${s.kind}/${s.name}`, s);
  for (const { host, report: r } of reports) {
    const summary: Record<Outcome, number> = emptyOutcomeCounts();
    for (const o of r.resources) summary[o.outcome] += 1;
    plan.reports.push({
      host,
      eventSeq: r.eventSeq,
      generation: r.generation,
      revision: r.bundleRevision,
      trigger: r.trigger,
      startedAt: r.startedAt,
      durationMs: r.durationMs,
      dryRun: r.dryRun ? 1 : 0,
      summaryJson: JSON.stringify(summary),
      now,
    });
    if (r.dryRun) continue;
    const state = stateOf(byHost, host);
    for (const o of r.resources) {
      const key = `${o.kind}/${o.name}`;
      const before = state.status.get(key);
      // Failed and refused (blocked/conflict) resources alert once per new error.
      const failing = o.outcome === "failed" || o.outcome === "blocked" || o.outcome === "conflict";
      if (failing && (before?.outcome !== o.outcome || before.error !== o.error)) {
        plan.failures.push({
          host,
          policy: o.policy,
          kind: o.kind,
          name: o.name,
          error: o.error,
          eventSeq: r.eventSeq,
          at: r.startedAt + r.durationMs,
        });
      }
      state.status.set(key, {
        outcome: o.outcome,
        error: o.error,
        event_seq: r.eventSeq,
        row: {
          host,
          policy: o.policy,
          kind: o.kind,
          name: o.name,
          outcome: o.outcome,
          changesJson: o.changesJson,
          error: o.error,
          pendingRestart: o.pendingRestart ? 1 : 0,
          generation: r.generation,
          eventSeq: r.eventSeq,
          now,
        },
      });
    }
    if (FULL_RUN_TRIGGERS.has(r.trigger)) {
      state.plan.pruneBelow = r.eventSeq;
      for (const [key, s] of state.status) if (s.event_seq < r.eventSeq) state.status.delete(key);
    }
    state.plan.observed = { generation: r.generation, revision: r.bundleRevision };
    const bundle = bundles.get(host);
    if (bundle && bundle.revision === r.bundleRevision)
      state.plan.observedPolicies = { generation: r.generation, policies: bundle.policies };
  }
  for (const { plan: p, status } of byHost.values()) {
    for (const s of status.values()) if (s.row) p.statuses.push(s.row);
    if (p.pruneBelow !== undefined || p.statuses.length > 0 || p.observed) plan.hosts.push(p);
  }
  return plan;
}

/** A resource's latest state while planning; `row`: set by this batch (to write). */
interface Known {
  outcome: string;
  error: string;
  event_seq: number;
  row?: StatusRow;
}

function stateOf(
  byHost: Map<string, { plan: HostReportPlan; status: Map<string, Known> }>,
  host: string,
): { plan: HostReportPlan; status: Map<string, Known> } {
  let s = byHost.get(host);
  if (!s) byHost.set(host, (s = { plan: { host, statuses: [] }, status: new Map() }));
  return s;
}
