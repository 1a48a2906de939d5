import type { HostStateName } from "../../common/wire/states.js";
import {
  COMPLIANCE_STATUSES,
  type ComplianceTally,
  type PolicyStatus,
  type TallyPolicyCounts,
} from "../compliance/index.js";
import { hostState, type HostConditions } from "../hosts/index.js";
import { activeStage, isActive, type HostPhase, type Rollout, type RolloutState } from "../rollout/index.js";

/**
 * The figures behind the scrape-time gauges, computed from what the controller holds (pure
 * functions: no store access here). Every label value comes from a closed set of the CLI
 * contract or is a policy name; host names appear only in the `perHost` maps.
 */

/** Host states a connected or enrolled host can be in (HOST_STATES without `removed`: removed hosts are forgotten). */
export const LISTED_HOST_STATES = ["connected", "disconnected", "libvirt-unreachable", "degraded"] as const;
/** Compliance statuses of the CLI contract (PolicyStatus; controller/compliance's list). */
export { COMPLIANCE_STATUSES };
export const ROLLOUT_STATES: readonly RolloutState[] = [
  "pending",
  "running",
  "paused",
  "succeeded",
  "failed",
  "rolledback",
  "aborted",
];
export const HOST_PHASES: readonly HostPhase[] = [
  "pending",
  "offline",
  "sent",
  "converged",
  "failed",
  "skipped",
  "rollback-sent",
  "rolledback",
  "rollback-failed",
];

/** What the figures read of a connected agent's session. */
export interface SessionView {
  host: string | undefined;
  libvirtUnreachable: boolean;
  outboxEntries: number;
}

export interface HostStateFigures {
  connected: number;
  byState: Record<(typeof LISTED_HOST_STATES)[number], number>;
  /** Outbox entries the connected agents reported in their last heartbeat: sum and largest. */
  backlogSum: number;
  backlogMax: number;
  /** Per connected host (only when asked for): its state and backlog. */
  perHost?: Map<string, { state: HostStateName; backlog: number }>;
}

/**
 * Hosts by state: every connected session's state by the views' one rule (controller/hosts
 * hostState); the enrolled hosts without a session are disconnected.
 */
export function hostStateFigures(
  enrolled: number,
  sessions: Iterable<SessionView>,
  conditions: HostConditions | undefined,
  perHost: boolean,
): HostStateFigures {
  const byState = { connected: 0, disconnected: 0, "libvirt-unreachable": 0, degraded: 0 };
  const out: HostStateFigures = { connected: 0, byState, backlogSum: 0, backlogMax: 0 };
  if (perHost) out.perHost = new Map();
  for (const s of sessions) {
    if (s.host === undefined) continue;
    out.connected += 1;
    const { state } = hostState({ name: s.host, connected: true }, conditions, s);
    if (state !== "disconnected" && state !== "removed") byState[state] += 1;
    out.backlogSum += s.outboxEntries;
    out.backlogMax = Math.max(out.backlogMax, s.outboxEntries);
    out.perHost?.set(s.host, { state, backlog: s.outboxEntries });
  }
  byState.disconnected = Math.max(0, enrolled - out.connected);
  return out;
}

export type PolicyFigures = TallyPolicyCounts;

export interface ComplianceFigures {
  /** Hosts by their one status (controller/compliance hostStatus). */
  hosts: Record<PolicyStatus, number>;
  /** Compliant hosts / hosts (1 for an empty fleet, as the CLI's 100 %). */
  fleetRatio: number;
  policies: Map<string, PolicyFigures>;
  /** Per host (only when asked for): its status. */
  perHost?: Map<string, PolicyStatus>;
}

/** Counts of the tallied hosts (ComplianceTally.counts()), with each host's status when asked for. */
export function complianceFigures(tally: ComplianceTally, perHost: boolean): ComplianceFigures {
  const { hosts, fleetRatio, policies } = tally.counts();
  const out: ComplianceFigures = { hosts, fleetRatio, policies };
  if (perHost) out.perHost = new Map([...tally.entries()].map(([name, h]) => [name, h.status]));
  return out;
}

/** The stage label of a rollout: the kind of its stage in progress, or "none". */
export type StageLabel = "plan" | "canary" | "batch" | "none";

export interface RolloutFigures {
  /** The newest rollout of each policy, by state and the kind of its stage in progress. */
  byStateStage: Map<`${RolloutState}/${StageLabel}`, { state: RolloutState; stage: StageLabel; count: number }>;
  /** Rollouts still active: the index of their stage in progress (-1: none) and hosts per phase. */
  active: { policy: string; stage: number; phases: Record<HostPhase, number> }[];
}

export function rolloutFigures(rollouts: readonly Rollout[]): RolloutFigures {
  const out: RolloutFigures = { byStateStage: new Map(), active: [] };
  for (const r of rollouts) {
    const s = activeStage(r);
    const stage: StageLabel = s?.kind ?? "none";
    const key = `${r.state}/${stage}` as const;
    const entry = out.byStateStage.get(key);
    if (entry) entry.count += 1;
    else out.byStateStage.set(key, { state: r.state, stage, count: 1 });
    if (!isActive(r)) continue;
    const phases = Object.fromEntries(HOST_PHASES.map((p) => [p, 0])) as Record<HostPhase, number>;
    for (const h of Object.values(r.hosts)) phases[h.phase] += 1;
    out.active.push({ policy: r.policy, stage: s?.index ?? -1, phases });
  }
  return out;
}
