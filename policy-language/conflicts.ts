import type { ResolvedPolicy, SourceLocation } from "../kinds/resolved-policy.js";
import { POLICY_KINDS } from "../kinds/policy-kinds.js";
import type { ResourceKind } from "../policy-primitives/identity.js";
import { describeHost, inventoryHostNames, UNGROUPED_GROUP, ALL_GROUP, type Inventory } from "./inventory.js";
import { formatPath, type PathSegment } from "../policy-primitives/issues.js";
import type { LoadedPolicy } from "./loaded-policy.js";
import { HostPattern } from "./patterns.js";
import type { LocatedResolvedPolicy } from "./resolve.js";
import { matchTargets, type TargetHost } from "./targets.js";

/**
 * Two policies that target one host and declare the same resource identity conflict: the
 * higher `priority` wins; with equal priorities nobody wins (`winner` null) and neither
 * policy applies that resource on that host. Claims with a value (sysctl keys, host
 * interfaces) only conflict when their values differ; kernel modules, requireVirtualization and minFreeMemory never conflict (each
 * policy's prerequisite is checked on its own).
 */
export interface ResourceConflict {
  /** `identityKey(kind, name, pool)`. */
  identity: string;
  kind: ResourceKind;
  name: string;
  /** The winning policy's name, or null when the priorities are equal. */
  winner: string | null;
  sides: [ConflictSide, ConflictSide];
  /** Hosts both policies target; `NEW_HOST` stands for a host not enrolled yet. */
  hosts: string[];
}

export interface ConflictSide {
  policy: string;
  priority: number;
  location: SourceLocation;
  /** Field path of the declaration (`spec.resources.domains[0].name`), when known. */
  path?: string;
}

/** Placeholder in `ResourceConflict.hosts` for "any host that enrols later". */
export const NEW_HOST = "(any newly enrolled host)";

const where = (l: SourceLocation) => `${l.file}:${l.line}:${l.col}`;

/** One line describing a conflict, naming both locations. */
export function formatConflict(c: ResourceConflict): string {
  const [a, b] = c.sides;
  const what = `${c.kind} "${c.name}"`;
  const hosts =
    c.hosts.length > 3 ? `${c.hosts.slice(0, 3).join(", ")} and ${c.hosts.length - 3} more` : c.hosts.join(", ");
  const outcome =
    c.winner === null
      ? `both have priority ${a.priority}; give one a higher priority or target different hosts`
      : `"${c.winner}" wins (higher priority)`;
  return `${what} is declared by policy "${a.policy}" (${where(a.location)}) and policy "${b.policy}" (${where(b.location)}) for ${hosts}: ${outcome}`;
}

interface Claim {
  identity: string;
  kind: ResourceKind;
  name: string;
  /** For sysctl: the value; equal values do not conflict. */
  value?: string;
  path: PathSegment[];
}

/** What a policy document claims: each kind's claims (kinds/<kind>/policy.ts) at their declaration's path. */
function claimsOf(policy: LoadedPolicy): Claim[] {
  const res = policy.document.spec.resources as Record<string, unknown>;
  const claims: Claim[] = [];
  for (const kind of POLICY_KINDS) {
    const at: PathSegment[] = ["spec", "resources", kind.key];
    const doc = res[kind.key];
    const items: [unknown, PathSegment[]][] = kind.many
      ? ((doc ?? []) as unknown[]).map((d, i) => [d, [...at, i]])
      : doc === undefined
        ? []
        : [[doc, at]];
    for (const [item, path] of items)
      for (const c of kind.claims(item as never)) claims.push({ ...c, path: [...path, ...c.path] });
  }
  return claims;
}

/** Hosts the load-time check considers: the inventory's, `extra` (enrolled), hosts named in targets, and one new host. */
export function candidateHosts(
  policies: readonly LoadedPolicy[],
  inventory: Inventory,
  extra: readonly TargetHost[],
): TargetHost[] {
  const hosts = new Map<string, TargetHost>();
  const add = (name: string) => {
    if (hosts.has(name)) return;
    const info = describeHost(inventory, name);
    hosts.set(name, { name, groups: info.groups, labels: info.labels });
  };
  for (const name of inventoryHostNames(inventory)) add(name);
  for (const p of policies) {
    for (const pattern of p.targets?.hosts ?? []) {
      try {
        const hp = HostPattern.parse(pattern);
        if (hp.count <= 1000) hp.expand().forEach(add);
      } catch {
        // invalid patterns are reported by validation
      }
    }
  }
  for (const h of extra) {
    const info = describeHost(inventory, h.name, { ...(h.labels ?? {}) });
    hosts.set(h.name, { name: h.name, groups: h.groups ?? info.groups, labels: info.labels, facts: h.facts });
  }
  hosts.set(NEW_HOST, { name: NEW_HOST, groups: [ALL_GROUP, UNGROUPED_GROUP], labels: {} });
  return [...hosts.values()];
}

/**
 * Load-time check: pairs of policies whose targets can select the same host (a host of the
 * inventory, one of `hosts`, a host named in a target pattern, or a host that enrols later;
 * unknown facts count as possibly matching) and that declare the same resource identity.
 * Templated names are compared as written; the per-host check (`resolveConflicts`) is exact.
 */
export function findConflicts(
  policies: readonly LoadedPolicy[],
  inventory: Inventory,
  options: { hosts?: readonly TargetHost[] } = {},
): ResourceConflict[] {
  const claims = policies.map(claimsOf);
  const found = new Map<string, ResourceConflict>();
  for (const host of candidateHosts(policies, inventory, options.hosts ?? [])) {
    const matching = policies
      .map((_p, i) => i)
      .filter((i) => matchTargets(policies[i].targets, host, { unknownFacts: "match" }));
    for (let x = 0; x < matching.length; x++) {
      for (let y = x + 1; y < matching.length; y++) {
        const [a, b] = [matching[x], matching[y]];
        for (const ca of claims[a]) {
          const cb = claims[b].find((c) => c.identity === ca.identity);
          if (!cb || (ca.value !== undefined && ca.value === cb.value)) continue;
          const key = `${a}/${b}/${ca.identity}`;
          let conflict = found.get(key);
          if (!conflict) {
            const pa = policies[a];
            const pb = policies[b];
            conflict = {
              identity: ca.identity,
              kind: ca.kind,
              name: ca.name,
              winner: pa.priority === pb.priority ? null : pa.priority > pb.priority ? pa.name : pb.name,
              sides: [
                { policy: pa.name, priority: pa.priority, location: pa.locate(ca.path), path: formatPath(ca.path) },
                { policy: pb.name, priority: pb.priority, location: pb.locate(cb.path), path: formatPath(cb.path) },
              ],
              hosts: [],
            };
            found.set(key, conflict);
          }
          conflict.hosts.push(host.name);
        }
      }
    }
  }
  return [...found.values()];
}

/** The policies for one host with conflicting resources removed, and what was removed. */
export interface HostResolution {
  policies: ResolvedPolicy[];
  conflicts: ResourceConflict[];
}

/**
 * Per-host resolution of the policies that target one host: for each identity claimed by
 * several policies the highest priority keeps it and the others lose it; on a tie at the
 * top every claimant loses it (reported with `winner: null`). Policy order is preserved.
 */
export function resolveConflicts(
  policies: readonly (ResolvedPolicy | LocatedResolvedPolicy)[],
  hostName = "",
): HostResolution {
  type Owner = { index: number; value?: string };
  const owners = new Map<string, { kind: ResourceKind; name: string; list: Owner[] }>();
  const claim = (identity: string, kind: ResourceKind, name: string, index: number, value?: string) => {
    if (!owners.has(identity)) owners.set(identity, { kind, name, list: [] });
    owners.get(identity)!.list.push({ index, value });
  };
  policies.forEach((p, index) => {
    for (const kind of POLICY_KINDS) {
      const spec = (p.resources as Record<string, unknown>)[kind.key];
      const items = kind.many ? (spec as unknown[]) : spec === null ? [] : [spec];
      for (const item of items)
        for (const c of kind.claims(item as never)) claim(c.identity, c.kind, c.name, index, c.value);
    }
  });
  const drop = policies.map(() => new Set<string>());
  const conflicts: ResourceConflict[] = [];
  const side = (i: number, identity: string): ConflictSide => ({
    policy: policies[i].name,
    priority: policies[i].priority,
    location:
      ("locations" in policies[i] ? (policies[i] as LocatedResolvedPolicy).locations[identity] : undefined) ??
      policies[i].source,
  });
  for (const [identity, { kind, name, list }] of owners) {
    if (list.length < 2) continue;
    if (list[0].value !== undefined && list.every((o) => o.value === list[0].value)) continue;
    const top = Math.max(...list.map((o) => policies[o.index].priority));
    const leaders = list.filter((o) => policies[o.index].priority === top);
    const winner = leaders.length === 1 ? leaders[0].index : null;
    for (const o of list) if (o.index !== winner) drop[o.index].add(identity);
    if (winner !== null) {
      for (const o of list)
        if (o.index !== winner)
          conflicts.push({
            identity,
            kind,
            name,
            winner: policies[winner].name,
            sides: [side(winner, identity), side(o.index, identity)],
            hosts: hostName ? [hostName] : [],
          });
    } else {
      for (let k = 1; k < leaders.length; k++)
        conflicts.push({
          identity,
          kind,
          name,
          winner: null,
          sides: [side(leaders[0].index, identity), side(leaders[k].index, identity)],
          hosts: hostName ? [hostName] : [],
        });
    }
  }
  const result = policies.map((p, i) => (drop[i].size === 0 ? p : without(p, drop[i])));
  return { policies: result, conflicts };
}

/** `p` without the identities in `drop`: a list kind loses the declarations, a single kind the claims. */
function without<P extends ResolvedPolicy>(p: P, drop: Set<string>): P {
  const resources: Record<string, unknown> = { ...p.resources };
  for (const kind of POLICY_KINDS) {
    const spec = resources[kind.key];
    if (kind.many)
      resources[kind.key] = (spec as unknown[]).filter(
        (x) => !kind.claims(x as never).some((c) => drop.has(c.identity)),
      );
    else if (spec !== null) resources[kind.key] = kind.withoutClaims(spec as never, drop);
  }
  return { ...p, resources: resources as ResolvedPolicy["resources"] };
}
