import type { BundledPolicy } from "../../generated/proto/fleet/v1/BundledPolicy.js";
import {
  canonicalHash,
  formatConflict,
  formatIssue,
  resolveHostPolicies,
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
export function computeBundle(policies: readonly LoadedPolicy[], inventory: Inventory, host: TargetHost): ComputedBundle {
  const byName = new Map(policies.map((p) => [p.name, p]));
  const out = resolveHostPolicies(policies, inventory, host);
  const resolved = [...out.policies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const entries = resolved.map((r) => ({ name: r.name, revision: byName.get(r.name)?.revision ?? "", mode: r.mode, resolved: r }));
  const revision = canonicalHash(entries.map((e) => ({ ...e, resolved: withoutPositions(e.resolved) })));
  return {
    revision,
    policies: entries.map((e) => ({ name: e.name, revision: e.revision, mode: e.mode, resolvedJson: JSON.stringify(e.resolved) })),
    problems: [...out.errors.map(formatIssue), ...out.conflicts.filter((c) => c.winner === null).map((c) => `conflict: ${formatConflict(c)}`)],
    conflicts: out.conflicts,
  };
}

function withoutPositions(resolved: object): object {
  const { source: _source, locations: _locations, ...rest } = resolved as { source?: unknown; locations?: unknown };
  return rest;
}
