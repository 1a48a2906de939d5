import type { NetworkDocument, NetworkSpec } from "./spec.js";

/**
 * One network after templating → its resolved spec. Defaults: bridge/ipv4/mtu none,
 * autostart false, state active; DHCP host MACs lower-case. A network with `state: absent`
 * needs only its name: a mode left out resolves to the placeholder "isolated", which its
 * removal never reads.
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
    autostart: n.autostart ?? false,
    ...(n.adopt === true ? { adopt: true as const } : {}),
    state: n.state ?? "active",
  };
}
