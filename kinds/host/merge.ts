import type { HostPrereqSpec } from "./spec.js";
import { mergeHostNetwork } from "./network/merge.js";
import { mergeHugepages } from "./hugepages/merge.js";

/** One policy's host prerequisites, as resolved for this host (conflicts already settled). */
export interface HostContribution {
  policy: string;
  priority: number;
  mode: "enforce" | "audit";
  spec: HostPrereqSpec;
}

/** Merged prerequisites of several policies, reported under one policy's name. */
export interface MergedHostPrereqs {
  /** The contributor with the highest priority (the first of equals in bundle order): the report's policy. */
  policy: string;
  /** Every contributing policy, in bundle order. */
  policies: string[];
  spec: HostPrereqSpec;
}

/**
 * Merges the host prerequisites of several policies into one spec (one host resource per
 * host, identity `host/host`). Contract:
 * - sysctl: the union of keys. A key two policies set to different values was settled
 *   before (policy-language/conflicts.ts: the higher priority keeps it, the conflict is
 *   reported; equal priorities drop it from both); should one still arrive twice, the
 *   higher priority's value wins.
 * - kernelModules: the union, sorted, each once.
 * - preconditions: the strictest — requireVirtualization when any policy requires it,
 *   minFreeMemory the largest.
 * - hugepages: the union of page sizes; a size two policies set to different counts was settled
 *   before (hugepages/claims.ts), like a sysctl key; should one still arrive twice, the higher
 *   priority's count wins.
 * - network (bridges, bonds, VLANs): merged by interface name (network/merge.ts).
 * Returns null without contributions.
 */
export function mergeHostPrereqs(contributions: readonly HostContribution[]): MergedHostPrereqs | null {
  if (contributions.length === 0) return null;
  const byPriority = [...contributions].sort((a, b) => b.priority - a.priority);
  const sysctl: Record<string, string> = {};
  // Lowest priority first, so a higher priority overwrites.
  for (const c of [...byPriority].reverse()) Object.assign(sysctl, c.spec.sysctl);
  const modules = new Set(contributions.flatMap((c) => c.spec.kernelModules));
  const minFree = contributions.map((c) => c.spec.minFreeMemoryBytes).filter((m): m is number => m !== null);
  const hugepages = mergeHugepages([...byPriority].reverse().map((c) => c.spec.hugepages));
  const network = mergeHostNetwork(contributions.map((c) => ({ priority: c.priority, network: c.spec.network })));
  return {
    policy: byPriority[0]!.policy,
    policies: contributions.map((c) => c.policy),
    spec: {
      requireVirtualization: contributions.some((c) => c.spec.requireVirtualization),
      kernelModules: [...modules].sort(),
      sysctl: Object.fromEntries(Object.entries(sysctl).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      minFreeMemoryBytes: minFree.length === 0 ? null : Math.max(...minFree),
      ...(hugepages ? { hugepages } : {}),
      ...(network ? { network } : {}),
    },
  };
}
