import { describeError, parseSelector } from "../../common/index.js";
import type { HostStateName } from "../../common/wire/states.js";
import { hostStatus, type HostComplianceJson, type PolicyStatus } from "../compliance/index.js";
import { hostState, type HostRow } from "../hosts/index.js";
import { resolveHost, selectHosts, selectResolved } from "../inventory-view/index.js";
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
  /** The stored host without its facts (`factsJson` is "": HostStore.listWithoutFacts). */
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
  return h ? wordOf(hostStatus(h)) : "compliant";
}

/** The dashboard's word for a host status (hostStatus, the compliance tally's): pending-restart counts as pending. */
function wordOf(status: PolicyStatus): ComplianceWord {
  return status === "pending-restart" ? "pending" : status;
}

/** A snapshot older than this is rebuilt in the background (requests meanwhile get the one they have). */
export const FLEET_SNAPSHOT_TTL_MS = 10_000;
/** A snapshot nobody asked for this long is dropped (its memory freed); the next request then waits for a build. */
export const FLEET_SNAPSHOT_IDLE_MS = 300_000;
/** Hosts read at a time when a fact filter needs their facts. */
const FACTS_CHUNK = 500;
/** Fact-filter answers kept for the current snapshot (the oldest goes first). */
const FACT_MATCHES_KEEP = 16;

/**
 * The fleet as the overview and the hosts table show it: every host with its state (hostState),
 * compliance word, groups and labels — built from the same services the admin API reads
 * (HostStore, ComplianceService.tally, the inventory in force, the agents' sessions).
 *
 * At 10,000 hosts a build costs about a second (the compliance document of the whole fleet is
 * most of it), so pages read a snapshot: stale-while-revalidate. A request gets the current
 * snapshot at once; when it is older than FLEET_SNAPSHOT_TTL_MS, one rebuild starts in the
 * background (concurrent requests share it). So what a page shows is at most the TTL plus one
 * build old (the overview and hosts table are not live pages; the live ones stream). A build is
 * CPU-bound (it runs on the controller's one thread), hence the TTL of seconds: dashboards left
 * open cost one build per TTL, not one per request. Only the first request (or the first after FLEET_SNAPSHOT_IDLE_MS without any)
 * waits for a build. Facts are not held (memory): a fact filter reads them (select).
 */
export class FleetIndex {
  private current: FleetSnapshot | undefined;
  private building: Promise<FleetSnapshot> | undefined;
  private dropTimer: NodeJS.Timeout | undefined;
  private factCache: { snapshot: FleetSnapshot | undefined; matches: Map<string, Set<string>> } = {
    snapshot: undefined,
    matches: new Map(),
  };

  constructor(
    private readonly deps: WebDeps,
    private readonly ttlMs = FLEET_SNAPSHOT_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async snapshot(): Promise<FleetSnapshot> {
    this.keepAlive();
    const c = this.current;
    if (c && this.now() - c.builtAt < this.ttlMs) return c;
    // Without a snapshot the request waits for the build; with one, the build starts after this
    // request has been answered (it is CPU-bound: it would hold this answer up).
    const build = (this.building ??= (c ? new Promise<void>((resolve) => setImmediate(resolve)) : Promise.resolve())
      .then(() => this.build())
      .finally(() => {
        this.building = undefined;
      }));
    if (!c) return build;
    build.catch((err: unknown) =>
      this.deps.log.warn({ err: describeError(err) }, "rebuilding the dashboard's fleet view failed"),
    );
    return c;
  }

  /**
   * The snapshot's hosts in `group` that match `selector` (controller/inventory-view selectHosts;
   * a bad one throws its ValidationError). A selector with a fact term reads the hosts' stored
   * facts, FACTS_CHUNK at a time (slower: every host's facts are parsed).
   */
  async select(snapshot: FleetSnapshot, group: string, selector: string): Promise<FleetHost[]> {
    if (!group && !selector) return snapshot.hosts;
    const inventory = this.deps.policies.current().inventory;
    const query = { group, selector };
    if (parseSelector(selector).terms.some((t) => t.kind === "fact")) {
      selectHosts([], inventory, query); // a bad selector or group fails before any read
      const kept = await this.factMatches(snapshot, inventory, query);
      return snapshot.hosts.filter((h) => kept.has(h.name));
    }
    return selectResolved(snapshot.hosts, inventory, query);
  }

  /**
   * The names of the hosts whose stored facts match a selector with a fact term. Kept per
   * snapshot (FACT_MATCHES_KEEP queries): paging or sorting one filtered table reads the facts
   * once, and the answer is as old as the snapshot it filters (the staleness contract above).
   */
  private async factMatches(
    snapshot: FleetSnapshot,
    inventory: Parameters<typeof selectHosts>[1],
    query: { group: string; selector: string },
  ): Promise<Set<string>> {
    if (this.factCache.snapshot !== snapshot) this.factCache = { snapshot, matches: new Map() };
    const key = JSON.stringify([query.group, query.selector]);
    const cache = this.factCache.matches;
    const hit = cache.get(key);
    if (hit) return hit;
    const kept = new Set<string>();
    for (let after = ""; ; ) {
      const rows = await this.deps.hosts.listAfter(after, FACTS_CHUNK);
      for (const r of selectHosts(rows, inventory, query)) kept.add(r.row.name);
      if (rows.length < FACTS_CHUNK) break;
      after = rows.at(-1)!.name;
    }
    if (cache.size >= FACT_MATCHES_KEEP) cache.delete(cache.keys().next().value as string);
    cache.set(key, kept);
    return kept;
  }

  private keepAlive(): void {
    clearTimeout(this.dropTimer);
    this.dropTimer = setTimeout(() => {
      this.current = undefined;
      this.factCache = { snapshot: undefined, matches: new Map() };
    }, FLEET_SNAPSHOT_IDLE_MS);
    this.dropTimer.unref();
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
    const rows = await hosts.listWithoutFacts();
    // The compliance tally (ComplianceService.tally): each host's status kept current host by host,
    // not the fleet's whole compliance document per build (~1 s of one blocking read at 10,000 hosts).
    await compliance.tally.update(rows.length);
    const byName = new Map(compliance.tally.entries());
    const inventory = policies.current().inventory;
    const byState: Record<string, number> = Object.fromEntries(LIVE_HOST_STATES.map((s) => [s, 0]));
    const byCompliance = Object.fromEntries(COMPLIANCE_WORDS.map((s) => [s, 0])) as Record<ComplianceWord, number>;
    const out: FleetHost[] = [];
    for (const row of rows) {
      const resolved = resolveHost(row, inventory);
      const { state, detail } = hostState(row, conditions, agents.session(row.name));
      const c = byName.get(row.name);
      const word = c ? wordOf(c.status) : "compliant";
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
      percent: Math.round(compliance.tally.counts().fleetRatio * 1000) / 10,
      byState,
      byCompliance,
    };
    this.current = snapshot;
    return snapshot;
  }
}
