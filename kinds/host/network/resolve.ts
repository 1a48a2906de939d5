import type { HostNetworkDocument, HostNetworkSpec } from "./spec.js";

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The host document's networking fields → the resolved spec, or undefined when the document
 * declares none of them (host networking not managed: a bundle without it stays as before).
 * Defaults: interfaces [], stp false, vlanFiltering false, bond mode balance-rr, miimon 100,
 * mtu not managed, adopt false, allowUplinkChange false. Lists are sorted by name.
 */
export function resolveHostNetwork(h: HostNetworkDocument): HostNetworkSpec | undefined {
  if (h.bridges === undefined && h.bonds === undefined && h.vlans === undefined && h.allowUplinkChange === undefined)
    return undefined;
  return {
    bridges: (h.bridges ?? [])
      .map((b) => ({
        name: b.name,
        interfaces: [...(b.interfaces ?? [])].sort(),
        stp: b.stp ?? false,
        mtu: b.mtu ?? null,
        vlanFiltering: b.vlanFiltering ?? false,
        adopt: b.adopt ?? false,
      }))
      .sort(byName),
    bonds: (h.bonds ?? [])
      .map((b) => ({
        name: b.name,
        mode: b.mode ?? "balance-rr",
        interfaces: [...(b.interfaces ?? [])].sort(),
        miimon: b.miimon ?? 100,
        mtu: b.mtu ?? null,
        adopt: b.adopt ?? false,
      }))
      .sort(byName),
    vlans: (h.vlans ?? [])
      .map((v) => ({ name: v.name, link: v.link, id: v.id, mtu: v.mtu ?? null, adopt: v.adopt ?? false }))
      .sort(byName),
    allowUplinkChange: h.allowUplinkChange ?? false,
  };
}
