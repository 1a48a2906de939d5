import type { HostNetworkSpec } from "./spec.js";

/** One policy's host networking, for merging (highest priority first is not required). */
export interface NetworkContribution {
  priority: number;
  network: HostNetworkSpec | undefined;
}

/**
 * Merges the host networking of several policies by interface name (bridges, bonds and VLANs
 * share one name space). Contract:
 * - a name declared by several policies was settled before (network/claims.ts: equal
 *   declarations agree, different ones conflict and the higher priority keeps it); should one
 *   still arrive twice, the higher priority's declaration wins;
 * - allowUplinkChange is true only when every policy declaring host networking says true
 *   (a single policy's false keeps the uplink protected);
 * - undefined when no policy declares host networking.
 */
export function mergeHostNetwork(contributions: readonly NetworkContribution[]): HostNetworkSpec | undefined {
  const declaring = contributions.filter((c) => c.network !== undefined);
  if (declaring.length === 0) return undefined;
  const lowFirst = [...declaring].sort((a, b) => a.priority - b.priority);
  const pick = <K extends "bridges" | "bonds" | "vlans">(key: K): HostNetworkSpec[K] => {
    const byName = new Map<string, HostNetworkSpec[K][number]>();
    for (const c of lowFirst) for (const item of c.network![key]) byName.set(item.name, item);
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) as HostNetworkSpec[K];
  };
  return {
    bridges: pick("bridges"),
    bonds: pick("bonds"),
    vlans: pick("vlans"),
    allowUplinkChange: declaring.every((c) => c.network!.allowUplinkChange),
  };
}
