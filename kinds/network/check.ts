import type { SpecChecker } from "../spec-checker.js";
import type { NetworkSpec } from "./spec.js";

/** The loader's value rules for a resolved network (kinds/spec-checker.ts). */
export function checkNetworkSpec(c: SpecChecker, n: NetworkSpec): void {
  c.format(n.name, "name", "resourceName");
  c.format(n.bridge, "bridge", "bridgeName", true);
  if (n.ipv4) {
    c.format(n.ipv4.address, "ipv4.address", "ipv4");
    const d = n.ipv4.dhcp;
    if (d) {
      c.format(d.start, "ipv4.dhcp.start", "ipv4");
      c.format(d.end, "ipv4.dhcp.end", "ipv4");
      (d.hosts ?? []).forEach((h, i) => {
        c.format(h.mac, `ipv4.dhcp.hosts[${i}].mac`, "mac");
        c.format(h.ip, `ipv4.dhcp.hosts[${i}].ip`, "ipv4");
        c.format(h.name, `ipv4.dhcp.hosts[${i}].name`, "hostname", true);
      });
    }
  }
}
