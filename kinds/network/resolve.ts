import { canonicalIpv6 } from "./ipv6.js";
import type { NetworkDocument, NetworkSpec, PortgroupSpec } from "./spec.js";

type Rate = { average: number; peak?: number; burst?: number };
type PortgroupDocument = NonNullable<NetworkDocument["portgroups"]>[number];

/**
 * One network after templating → its resolved spec. Defaults: bridge/ipv4/ipv6/mtu/domain/
 * nat none, dns and portgroups empty, autostart false, state active; DHCP host MACs
 * lower-case; IPv6 addresses (and DNS addresses that are IPv6) in canonical form, as libvirt
 * writes them back. A network with `state: absent` needs only its name: a mode left out
 * resolves to the placeholder "isolated", which its removal never reads.
 */
export function resolveNetwork(n: NetworkDocument): NetworkSpec {
  return {
    name: n.name,
    mode: n.mode ?? "isolated",
    bridge: n.bridge ?? null,
    ipv4: n.ipv4
      ? {
          address: n.ipv4.address,
          prefix: n.ipv4.prefix,
          dhcp: n.ipv4.dhcp
            ? {
                start: n.ipv4.dhcp.start,
                end: n.ipv4.dhcp.end,
                hosts: (n.ipv4.dhcp.hosts ?? []).map((h) => ({
                  mac: h.mac.toLowerCase(),
                  ip: h.ip,
                  name: h.name ?? null,
                })),
              }
            : null,
        }
      : null,
    mtu: n.mtu ?? null,
    domain: n.domain ?? null,
    nat: n.nat ? { portStart: n.nat.portStart, portEnd: n.nat.portEnd } : null,
    ipv6: n.ipv6
      ? {
          address: canonicalIpv6(n.ipv6.address),
          prefix: n.ipv6.prefix,
          dhcp: n.ipv6.dhcp
            ? {
                start: canonicalIpv6(n.ipv6.dhcp.start),
                end: canonicalIpv6(n.ipv6.dhcp.end),
                hosts: (n.ipv6.dhcp.hosts ?? []).map((h) => ({
                  id: h.id?.toLowerCase() ?? null,
                  ip: canonicalIpv6(h.ip),
                  name: h.name ?? null,
                })),
              }
            : null,
        }
      : null,
    dns: {
      hosts: (n.dns?.hosts ?? []).map((h) => ({ ip: canonicalIpv6(h.ip), names: [...h.names] })),
      forwarders: (n.dns?.forwarders ?? []).map(canonicalIpv6),
    },
    portgroups: (n.portgroups ?? []).map(portgroup),
    virtualport: n.virtualport ?? null,
    interface: n.interface ?? null,
    macvtapMode: n.mode === "macvtap" ? (n.macvtapMode ?? "bridge") : (n.macvtapMode ?? null),
    pf: n.pf ?? null,
    autostart: n.autostart ?? false,
    ...(n.adopt === true ? { adopt: true as const } : {}),
    state: n.state ?? "active",
  };
}

function portgroup(p: PortgroupDocument): PortgroupSpec {
  return {
    name: p.name,
    vlan: p.vlan ?? null,
    default: p.default ?? false,
    inbound: rate(p.bandwidth?.inbound),
    outbound: rate(p.bandwidth?.outbound),
  };
}

function rate(r: Rate | undefined): PortgroupSpec["inbound"] {
  return r ? { average: r.average, peak: r.peak ?? null, burst: r.burst ?? null } : null;
}
