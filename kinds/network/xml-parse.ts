/**
 * Actual network XML (`net-dumpxml --inactive`) to a ParsedNetwork. Ignores what libvirt
 * adds: <uuid> (kept for identity only), <mac>, stp/delay (parsed, never compared).
 *
 * Modes: no `<forward>` → isolated; `nat`/`route`/`open` as written; `bridge` with a
 * `<bridge>` element → bridge, without one (an `<interface dev>` instead) → macvtap in its
 * libvirt "bridge" mode; `vepa`/`private`/`passthrough` → macvtap; `hostdev` → hostdev.
 */
import { ProtocolError } from "../../common/errors.js";
import { canonicalIpv6 } from "./ipv6.js";
import type { ParsedNetwork } from "./parsed.js";
import type { PortgroupSpec, RateSpec } from "./spec.js";
import { attr, child, children, parseXml, text, toInt, type XmlNode } from "../libvirt-xml/xml-io.js";

export function parseNetworkXml(xml: string): ParsedNetwork {
  const n = parseXml(xml, "network");
  const name = text(n, "name");
  if (!name) throw new ProtocolError("network XML from libvirt has no <name>");
  const forward = child(n, "forward");
  const bridge = child(n, "bridge");
  const mtu = child(n, "mtu");
  const ips = children(n, "ip");
  const v4 = ips.find((ip) => (attr(ip, "family") ?? "ipv4") === "ipv4" && attr(ip, "address") !== null);
  const v6Index = ips.findIndex((ip) => attr(ip, "family") === "ipv6" && attr(ip, "address") !== null);

  const forwardMode = forward ? (attr(forward, "mode") ?? "nat") : null;
  const iface = attr(child(forward, "interface"), "dev") ?? attr(forward, "dev");
  let mode: string = forwardMode ?? "isolated";
  let macvtapMode: string | null = null;
  if ((forwardMode === "bridge" && !bridge) || ["vepa", "private", "passthrough"].includes(forwardMode ?? "")) {
    mode = "macvtap";
    macvtapMode = forwardMode;
  }
  const port = child(child(forward, "nat"), "port");
  const stp = attr(bridge, "stp");
  const delay = attr(bridge, "delay");
  const dns = child(n, "dns");
  return {
    name,
    uuid: text(n, "uuid")?.toLowerCase() ?? null,
    mode,
    bridge: attr(bridge, "name"),
    stp: stp === null ? null : stp === "on",
    delay: delay === null ? null : toInt(delay, `network ${name} <bridge delay>`),
    ipv4: v4 ? parseIpv4(v4, name) : null,
    mtu: mtu ? toInt(attr(mtu, "size"), `network ${name} <mtu size>`) : null,
    domain: attr(child(n, "domain"), "name"),
    nat:
      port && attr(port, "start") !== null
        ? {
            portStart: toInt(attr(port, "start"), `network ${name} <nat><port start>`),
            portEnd: toInt(attr(port, "end"), `network ${name} <nat><port end>`),
          }
        : null,
    ipv6: v6Index >= 0 ? parseIpv6(ips[v6Index]!, v6Index, name) : null,
    dns: {
      forwarders: children(dns, "forwarder").flatMap((f) => {
        const addr = attr(f, "addr");
        return addr === null ? [] : [canonicalIpv6(addr)];
      }),
      hosts: children(dns, "host").map((h) => ({
        ip: canonicalIpv6(attr(h, "ip") ?? ""),
        names: children(h, "hostname").map((x) => text(x) ?? ""),
      })),
    },
    portgroups: children(n, "portgroup").map((g) => parsePortgroup(g, name)),
    virtualport: attr(child(n, "virtualport"), "type"),
    interface: mode === "macvtap" ? iface : null,
    macvtapMode,
    pf: attr(child(forward, "pf"), "dev"),
  };
}

function prefixOf(ip: XmlNode, name: string, fallback: number): number {
  const prefixAttr = attr(ip, "prefix");
  const netmask = attr(ip, "netmask");
  return prefixAttr !== null
    ? toInt(prefixAttr, `network ${name} <ip prefix>`)
    : netmask !== null
      ? netmaskToPrefix(netmask)
      : fallback;
}

function parseIpv4(ipEl: XmlNode, name: string): ParsedNetwork["ipv4"] {
  const dhcpEl = child(ipEl, "dhcp");
  const range = child(dhcpEl, "range");
  return {
    address: attr(ipEl, "address")!,
    prefix: prefixOf(ipEl, name, 24),
    dhcp: dhcpEl
      ? {
          start: attr(range, "start") ?? "",
          end: attr(range, "end") ?? "",
          hosts: children(dhcpEl, "host").map((h) => ({
            mac: (attr(h, "mac") ?? "").toLowerCase(),
            ip: attr(h, "ip") ?? "",
            name: attr(h, "name"),
          })),
        }
      : null,
  };
}

function parseIpv6(ipEl: XmlNode, index: number, name: string): ParsedNetwork["ipv6"] {
  const dhcpEl = child(ipEl, "dhcp");
  const range = child(dhcpEl, "range");
  return {
    address: canonicalIpv6(attr(ipEl, "address")!),
    prefix: prefixOf(ipEl, name, 64),
    index,
    dhcp: dhcpEl
      ? {
          start: canonicalIpv6(attr(range, "start") ?? ""),
          end: canonicalIpv6(attr(range, "end") ?? ""),
          hosts: children(dhcpEl, "host").map((h) => ({
            id: attr(h, "id")?.toLowerCase() ?? null,
            ip: canonicalIpv6(attr(h, "ip") ?? ""),
            name: attr(h, "name"),
          })),
        }
      : null,
  };
}

function parsePortgroup(g: XmlNode, network: string): PortgroupSpec {
  const tag = child(child(g, "vlan"), "tag");
  const bw = child(g, "bandwidth");
  const rate = (el: XmlNode | undefined): RateSpec | null => {
    if (!el || attr(el, "average") === null) return null;
    const num = (a: string) => {
      const v = attr(el, a);
      return v === null ? null : toInt(v, `network ${network} <portgroup><bandwidth ${a}>`);
    };
    return { average: num("average")!, peak: num("peak"), burst: num("burst") };
  };
  return {
    name: attr(g, "name") ?? "",
    vlan: tag ? toInt(attr(tag, "id"), `network ${network} <portgroup><vlan><tag id>`) : null,
    default: attr(g, "default") === "yes",
    inbound: rate(child(bw, "inbound")),
    outbound: rate(child(bw, "outbound")),
  };
}

function netmaskToPrefix(mask: string): number {
  const bits = mask
    .split(".")
    .map((o) => Number(o).toString(2).padStart(8, "0"))
    .join("");
  return bits.indexOf("0") === -1 ? 32 : bits.indexOf("0");
}
