import type { BundledPolicy } from "../../generated/proto/fleet/v1/BundledPolicy.js";
import {
  canonicalHash,
  formatConflict,
  formatIssue,
  resolveHostPolicies,
  ResolutionCache,
  type HostPolicies,
  type Inventory,
  type LoadedPolicy,
  type ResourceConflict,
  type TargetHost,
} from "../../common/index.js";

/** One host's bundle content, before it gets a generation. */
export interface ComputedBundle {
  /** Content hash of the bundle (see `computeBundle`). */
  revision: string;
  /** Sorted by name; `resolvedJson` is the ResolvedPolicy as JSON. */
  policies: Required<BundledPolicy>[];
  /** Policies left out for this host, one line each: resolution errors and tied conflicts. */
  problems: string[];
  /** Every conflict, including those priority settled (for logs). */
  conflicts: ResourceConflict[];
}

/**
 * Resolves `policies` for `host` (targeting, templating, conflicts: resolveHostPolicies)
 * into bundle entries. The revision is canonicalHash over `[{name, revision, mode, resolved}]`
 * sorted by name, where `resolved` leaves out file positions (`source`, `locations`), so
 * moving a policy inside its file or adding a comment does not change any host's bundle.
 */
export function computeBundle(
  policies: readonly LoadedPolicy[],
  inventory: Inventory,
  host: TargetHost,
): ComputedBundle {
  return bundleOf(policies, resolveHostPolicies(policies, inventory, host));
}

/** Bundles kept by BundleComputer; past it they are dropped and refilled. */
export const MAX_MEMOISED_BUNDLES = 1_024;

/**
 * `computeBundle` for many hosts: hosts whose policies resolve to the same objects (see
 * ResolutionCache: same revisions, equal template values) share one ComputedBundle, so a
 * policy change costs one resolution, one hash and one serialisation per distinct bundle
 * instead of per host. Hosts with resolution errors or conflicts are computed on their own
 * (their problems name the host). Returned bundles are shared: do not mutate them.
 */
export class BundleComputer {
  private readonly resolutions = new ResolutionCache();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  private readonly memo = new Map<string, ComputedBundle>();

  compute(policies: readonly LoadedPolicy[], inventory: Inventory, host: TargetHost): ComputedBundle {
    const out = resolveHostPolicies(policies, inventory, host, this.resolutions);
    if (out.errors.length > 0 || out.conflicts.length > 0) return bundleOf(policies, out);
    const key = out.policies.map((p) => this.idOf(p)).join(",");
    const hit = this.memo.get(key);
    if (hit) return hit;
    const computed = bundleOf(policies, out);
    if (this.memo.size >= MAX_MEMOISED_BUNDLES) this.memo.clear();
    this.memo.set(key, computed);
    return computed;
  }

  private idOf(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(o, id);
    }
    return id;
  }
}

function bundleOf(policies: readonly LoadedPolicy[], out: HostPolicies): ComputedBundle {
  const byName = new Map(policies.map((p) => [p.name, p]));
  const resolved = [...out.policies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const entries = resolved.map((r) => ({
    name: r.name,
    revision: byName.get(r.name)?.revision ?? "",
    mode: r.mode,
    resolved: r,
  }));
  const revision = canonicalHash(entries.map((e) => ({ ...e, resolved: withoutPositions(e.resolved) })));
  return {
    revision,
    policies: entries.map((e) => ({
      name: e.name,
      revision: e.revision,
      mode: e.mode,
      resolvedJson: JSON.stringify(e.resolved),
    })),
    problems: [
      ...out.errors.map(formatIssue),
      ...out.conflicts.filter((c) => c.winner === null).map((c) => `conflict: ${formatConflict(c)}`),
    ],
    conflicts: out.conflicts,
  };
}

function withoutPositions(resolved: object): object {
  const { source: _source, locations: _locations, ...rest } = resolved as { source?: unknown; locations?: unknown };
  return rest;
}
