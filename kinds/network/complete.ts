import { canonicalIpv6 } from "./ipv6.js";
import type { CompleteNetworkSpec, NetworkSpec } from "./spec.js";

/**
 * Fills the fields a previous release's bundle lacks (null / empty: not managed) and puts
 * IPv6 addresses in canonical form (as libvirt writes them back), so a bundle that did not
 * come through the loader's resolve still compares equal.
 */
export function completeNetworkSpec(s: NetworkSpec): CompleteNetworkSpec {
  const v6 = s.ipv6 ?? null;
  return {
    ...s,
    domain: s.domain ?? null,
    nat: s.nat ?? null,
    ipv6: v6 && {
      ...v6,
      address: canonicalIpv6(v6.address),
      dhcp: v6.dhcp && {
        start: canonicalIpv6(v6.dhcp.start),
        end: canonicalIpv6(v6.dhcp.end),
        hosts: v6.dhcp.hosts.map((h) => ({ ...h, ip: canonicalIpv6(h.ip) })),
      },
    },
    dns: s.dns
      ? {
          hosts: s.dns.hosts.map((h) => ({ ...h, ip: canonicalIpv6(h.ip) })),
          forwarders: s.dns.forwarders.map(canonicalIpv6),
        }
      : { hosts: [], forwarders: [] },
    portgroups: s.portgroups ?? [],
    virtualport: s.virtualport ?? null,
    interface: s.interface ?? null,
    macvtapMode: s.macvtapMode ?? null,
    pf: s.pf ?? null,
  };
}
