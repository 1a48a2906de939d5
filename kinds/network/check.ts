import type { SpecChecker } from "../spec-checker.js";
import { completeNetworkSpec } from "./complete.js";
import type { NetworkSpec } from "./spec.js";

/** The loader's value rules for a resolved network (kinds/spec-checker.ts). */
export function checkNetworkSpec(c: SpecChecker, input: NetworkSpec): void {
  const n = completeNetworkSpec(input);
  c.format(n.name, "name", "resourceName");
  c.format(n.bridge, "bridge", "bridgeName", true);
  c.format(n.domain, "domain", "hostname", true);
  c.format(n.interface, "interface", "bridgeName", true);
  c.format(n.pf, "pf", "bridgeName", true);
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
  if (n.ipv6) {
    c.format(n.ipv6.address, "ipv6.address", "ipv6");
    const d = n.ipv6.dhcp;
    if (d) {
      c.format(d.start, "ipv6.dhcp.start", "ipv6");
      c.format(d.end, "ipv6.dhcp.end", "ipv6");
      d.hosts.forEach((h, i) => {
        c.format(h.id, `ipv6.dhcp.hosts[${i}].id`, "duid", true);
        c.format(h.ip, `ipv6.dhcp.hosts[${i}].ip`, "ipv6");
        c.format(h.name, `ipv6.dhcp.hosts[${i}].name`, "hostname", true);
      });
    }
  }
  n.dns.hosts.forEach((h, i) => h.names.forEach((x, j) => c.format(x, `dns.hosts[${i}].names[${j}]`, "hostname")));
  n.portgroups.forEach((g, i) => c.format(g.name, `portgroups[${i}].name`, "resourceName"));
}
