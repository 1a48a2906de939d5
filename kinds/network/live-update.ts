/**
 * The net-update calls that apply one `live` change (xml-diff.ts) to a RUNNING network,
 * after its definition was replaced (so only AFFECT_LIVE): static IPv4 DHCP hosts (add,
 * modify by MAC, delete), static DHCPv6 hosts and DNS host entries (add, delete; a changed
 * entry is deleted and added again, as libvirt cannot modify either in place). The parent
 * index names the `<ip>` element of the running network (`actual`, the definition it was
 * started with). Contract: returns [] for a change that is not one of these.
 */
import type { FieldChange } from "../../common/changes.js";
import type { ParsedNetwork } from "./parsed.js";
import type { Dhcp6HostSpec, DhcpHostSpec, DnsHostSpec } from "./spec.js";
import { buildDhcp6HostXml, buildDhcpHostXml, buildDnsHostXml } from "./xml-build.js";

export interface LiveUpdate {
  command: "ADD_LAST" | "MODIFY" | "DELETE";
  section: "IP_DHCP_HOST" | "DNS_HOST";
  xml: string;
  parentIndex: number;
  live: true;
  config: false;
}

export function liveUpdateOf(network: string, c: FieldChange, actual: ParsedNetwork): LiveUpdate[] {
  const where = `network ${network}: ${c.field}`;
  const up = (command: LiveUpdate["command"], section: LiveUpdate["section"], xml: string, parentIndex = -1) => ({
    command,
    section,
    xml,
    parentIndex,
    live: true as const,
    config: false as const,
  });
  const replace = (section: LiveUpdate["section"], build: (x: never) => string, parentIndex: number) => {
    const out: LiveUpdate[] = [];
    if (c.from !== null) out.push(up("DELETE", section, build(c.from as never), parentIndex));
    if (c.to !== null) out.push(up("ADD_LAST", section, build(c.to as never), parentIndex));
    return out;
  };
  if (c.field.startsWith("ipv4.dhcp.hosts[")) {
    const host = (c.to ?? c.from) as DhcpHostSpec;
    const command = c.to === null ? "DELETE" : c.from === null ? "ADD_LAST" : "MODIFY";
    const v4Index = actual.ipv6 !== null && actual.ipv6.index === 0 ? 1 : 0;
    return [up(command, "IP_DHCP_HOST", buildDhcpHostXml(host, where), v4Index)];
  }
  if (c.field.startsWith("ipv6.dhcp.hosts[") && actual.ipv6 !== null)
    return replace("IP_DHCP_HOST", (h: Dhcp6HostSpec) => buildDhcp6HostXml(h, where), actual.ipv6.index);
  if (c.field.startsWith("dns.hosts[")) return replace("DNS_HOST", (h: DnsHostSpec) => buildDnsHostXml(h, where), -1);
  return [];
}
