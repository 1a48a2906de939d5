import type { HostStateName } from "../../common/wire/states.js";
import type { HostComplianceJson } from "../compliance/index.js";
import { hostState, type HostRow } from "../hosts/index.js";
import { resolveHost, selectHosts } from "../inventory-view/index.js";
import { isActive } from "../rollout/index.js";
import type { WebDeps } from "./deps.js";

/** A host's compliance as one word (the CLI contract's policy statuses, worst first). */
export type ComplianceWord = "failed" | "drifted" | "pending" | "compliant";
export const COMPLIANCE_WORDS: readonly ComplianceWord[] = ["compliant", "drifted", "failed", "pending"];
/** The host states the dashboard counts (HOST_STATES without `removed`: removed hosts are forgotten). */
export const LIVE_HOST_STATES: readonly HostStateName[] = [
  "connected",
  "disconnected",
  "libvirt-unreachable",
  "degraded",
];

/** One row of the hosts table and its counts. */
export interface FleetHost {
  row: HostRow;
  name: string;
  state: HostStateName;
  stateDetail: string;
  compliance: ComplianceWord;
  /** Policies assigned / not compliant. */
  policies: number;
  notCompliant: number;
  groups: string[];
  labels: Record<string, string>;
}

export interface FleetSnapshot {
  builtAt: number;
  /** By name. */
  hosts: FleetHost[];
  percent: number;
  byState: Record<string, number>;
  byCompliance: Record<ComplianceWord, number>;
}

/**
 * A host's compliance word from its compliance document: failed if a policy failed, else
 * drifted if one drifted, else pending if one has not converged its current revision (or
 * waits for a guest restart, or the host's latest events are not stored), else compliant
 * (a host without policies is compliant).
 */
export function complianceWord(h: HostComplianceJson | undefined): ComplianceWord {
  if (!h) return "compliant";
  const statuses = new Set(h.policies.map((p) => p.status));
  if (statuses.has("failed")) return "failed";
  if (statuses.has("drifted")) return "drifted";
  if (h.unknownReason || statuses.has("pending") || statuses.has("pending-restart")) return "pending";
  return "compliant";
}

/** How long a snapshot answers pages before it is rebuilt. */
export const FLEET_SNAPSHOT_TTL_MS = 2_000;

/**
 * The fleet as the overview and the hosts table show it: every host with its state (hostState),
 * compliance word, groups and labels — built from the same services the admin API reads
 * (HostStore.list, ComplianceService.current, the inventory in force, the agents' sessions) and
 * kept FLEET_SNAPSHOT_TTL_MS, so paging, sorting and counting 10,000 hosts costs one build per
 * TTL, not one per request. Concurrent requests share one build. Dropped (memory) after 10 TTLs
 * without a request.
 */
export class FleetIndex {
  private current: FleetSnapshot | undefined;
  private building: Promise<FleetSnapshot> | undefined;
  private dropTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: WebDeps,
    private readonly ttlMs = FLEET_SNAPSHOT_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async snapshot(): Promise<FleetSnapshot> {
    const c = this.current;
    if (c && this.now() - c.builtAt < this.ttlMs) return c;
    this.building ??= this.build().finally(() => {
      this.building = undefined;
    });
    return this.building;
  }

  /** The snapshot's hosts that `group` and `selector` keep (controller/inventory-view selectHosts; ValidationError for a bad one). */
  select(snapshot: FleetSnapshot, group: string, selector: string): FleetHost[] {
    if (!group && !selector) return snapshot.hosts;
    const kept = new Set(
      selectHosts(
        snapshot.hosts.map((h) => h.row),
        this.deps.policies.current().inventory,
        { group, selector },
      ).map((r) => r.row.name),
    );
    return snapshot.hosts.filter((h) => kept.has(h.name));
  }

  /** Open drift events and rollouts in progress (pending, running, paused, rolling back). */
  async activity(): Promise<{ openDrift: number; rolloutsActive: string[] }> {
    const openDrift = await this.deps.events.countOpenDrift();
    const rolloutsActive: string[] = [];
    for (const p of this.deps.policies.current().policies) {
      const r = await this.deps.rollouts.rolloutOf(p.name);
      if (r && isActive(r)) rolloutsActive.push(p.name);
    }
    return { openDrift, rolloutsActive };
  }

  private async build(): Promise<FleetSnapshot> {
    const { hosts, compliance, policies, agents, conditions } = this.deps;
    const [rows, report] = await Promise.all([hosts.list(), compliance.current()]);
    const inventory = policies.current().inventory;
    const byName = new Map(report.hosts.map((h) => [h.name, h]));
    const byState: Record<string, number> = Object.fromEntries(LIVE_HOST_STATES.map((s) => [s, 0]));
    const byCompliance = Object.fromEntries(COMPLIANCE_WORDS.map((s) => [s, 0])) as Record<ComplianceWord, number>;
    const out: FleetHost[] = [];
    for (const row of rows) {
      const resolved = resolveHost(row, inventory);
      const { state, detail } = hostState(row, conditions, agents.session(row.name));
      const c = byName.get(row.name);
      const word = complianceWord(c);
      byState[state] = (byState[state] ?? 0) + 1;
      byCompliance[word] += 1;
      out.push({
        row,
        name: row.name,
        state,
        stateDetail: detail,
        compliance: word,
        policies: c?.policies.length ?? 0,
        notCompliant: c?.policies.filter((p) => p.status !== "compliant").length ?? 0,
        groups: resolved.groups,
        labels: resolved.labels,
      });
    }
    const snapshot: FleetSnapshot = {
      builtAt: this.now(),
      hosts: out,
      percent: report.fleet.percent,
      byState,
      byCompliance,
    };
    this.current = snapshot;
    clearTimeout(this.dropTimer);
    this.dropTimer = setTimeout(() => {
      this.current = undefined;
    }, this.ttlMs * 10);
    this.dropTimer.unref();
    return snapshot;
  }
}
