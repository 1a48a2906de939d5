/**
 * Actual network XML (`net-dumpxml --inactive`) to a ParsedNetwork. Ignores what libvirt
 * adds: <uuid> (kept for identity only), <mac>, <nat><port/>, <domain>, DNS, IPv6.
 */
import { ProtocolError } from "../../common/errors.js";
import type { ParsedNetwork } from "./parsed.js";
import { attr, child, children, parseXml, text, toInt } from "../libvirt-xml/xml-io.js";

export function parseNetworkXml(xml: string): ParsedNetwork {
  const n = parseXml(xml, "network");
  const name = text(n, "name");
  if (!name) throw new ProtocolError("network XML from libvirt has no <name>");
  const forward = child(n, "forward");
  const bridge = child(n, "bridge");
  const mtu = child(n, "mtu");
  const ipEl = children(n, "ip").find(
    (ip) => (attr(ip, "family") ?? "ipv4") === "ipv4" && attr(ip, "address") !== null,
  );

  let ipv4: ParsedNetwork["ipv4"] = null;
  if (ipEl) {
    const netmask = attr(ipEl, "netmask");
    const prefixAttr = attr(ipEl, "prefix");
    const prefix =
      prefixAttr !== null
        ? toInt(prefixAttr, `network ${name} <ip prefix>`)
        : netmask !== null
          ? netmaskToPrefix(netmask)
          : 24;
    const dhcpEl = child(ipEl, "dhcp");
    const range = child(dhcpEl, "range");
    ipv4 = {
      address: attr(ipEl, "address")!,
      prefix,
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
  const stp = attr(bridge, "stp");
  const delay = attr(bridge, "delay");
  return {
    name,
    uuid: text(n, "uuid")?.toLowerCase() ?? null,
    mode: forward ? (attr(forward, "mode") ?? "nat") : "isolated",
    bridge: attr(bridge, "name"),
    stp: stp === null ? null : stp === "on",
    delay: delay === null ? null : toInt(delay, `network ${name} <bridge delay>`),
    ipv4,
    mtu: mtu ? toInt(attr(mtu, "size"), `network ${name} <mtu size>`) : null,
  };
}

function netmaskToPrefix(mask: string): number {
  const bits = mask
    .split(".")
    .map((o) => Number(o).toString(2).padStart(8, "0"))
    .join("");
  return bits.indexOf("0") === -1 ? 32 : bits.indexOf("0");
}
