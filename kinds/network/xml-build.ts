/**
 * Desired network XML from a NetworkSpec.
 *
 * Contract: `nat`/`route` → `<forward mode>`; `isolated` → no <forward>; `bridge` →
 * `<forward mode='bridge'/>` + `<bridge name>` of an existing host bridge (required; no
 * stp/delay/ip, which libvirt rejects there). For the other modes a named bridge gets
 * `stp='on' delay='0'` (what libvirt writes anyway); a null bridge lets libvirt pick
 * `virbrN`. DHCP host MACs are lower-cased. Pass `uuid` to redefine an existing network.
 */
import { isIPv4 } from "node:net";
import type { DhcpHostSpec, NetworkSpec } from "./spec.js";
import { ValidationError } from "../../common/errors.js";
import { buildXml, xmlString, xmlUuid, type XmlNode } from "../libvirt-xml/xml-io.js";

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export function buildNetworkXml(spec: NetworkSpec, ctx: { uuid?: string } = {}): string {
  const where = `network ${spec.name}`;
  const net: XmlNode = { name: xmlString(spec.name, `${where}: name`) };
  if (ctx.uuid !== undefined) net.uuid = xmlUuid(ctx.uuid, `${where}: uuid`);

  switch (spec.mode) {
    case "nat":
    case "route":
      net.forward = { "@_mode": spec.mode };
      break;
    case "isolated":
      break;
    case "bridge":
      if (spec.bridge === null)
        throw new ValidationError(`${where}: mode bridge needs the name of an existing host bridge`);
      if (spec.ipv4 !== null)
        throw new ValidationError(
          `${where}: mode bridge cannot have ipv4 (the host bridge's own network serves the guests)`,
        );
      net.forward = { "@_mode": "bridge" };
      break;
    default:
      throw new ValidationError(`${where}: unknown mode ${JSON.stringify(spec.mode)} (nat, route, isolated, bridge)`);
  }
  if (spec.bridge !== null) {
    const bridge: XmlNode = { "@_name": xmlString(spec.bridge, `${where}: bridge`) };
    if (spec.mode !== "bridge") {
      bridge["@_stp"] = "on";
      bridge["@_delay"] = "0";
    }
    net.bridge = bridge;
  }
  if (spec.mtu !== null) {
    if (!Number.isSafeInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 65535)
      throw new ValidationError(`${where}: mtu must be 68..65535, got ${spec.mtu}`);
    net.mtu = { "@_size": String(spec.mtu) };
  }
  if (spec.ipv4 !== null) {
    const { address, prefix, dhcp } = spec.ipv4;
    ipv4(address, `${where}: ipv4.address`);
    if (!Number.isSafeInteger(prefix) || prefix < 0 || prefix > 32)
      throw new ValidationError(`${where}: ipv4.prefix must be 0..32, got ${prefix}`);
    const ip: XmlNode = { "@_address": address, "@_prefix": String(prefix) };
    if (dhcp !== null) {
      const d: XmlNode = {
        range: {
          "@_start": ipv4(dhcp.start, `${where}: ipv4.dhcp.start`),
          "@_end": ipv4(dhcp.end, `${where}: ipv4.dhcp.end`),
        },
      };
      if (dhcp.hosts.length) {
        d.host = dhcp.hosts.map((h, i) => dhcpHostNode(h, `${where}: ipv4.dhcp.hosts[${i}]`));
      }
      ip.dhcp = d;
    }
    net.ip = ip;
  }
  return buildXml("network", net);
}

/** One `<host mac ip name/>` element, as net-update (section ip-dhcp-host) takes it. */
export function buildDhcpHostXml(h: DhcpHostSpec, where = "dhcp host"): string {
  return buildXml("host", dhcpHostNode(h, where));
}

function dhcpHostNode(h: DhcpHostSpec, at: string): XmlNode {
  if (!MAC_RE.test(h.mac)) throw new ValidationError(`${at}: mac ${JSON.stringify(h.mac)} is not a MAC address`);
  const host: XmlNode = { "@_mac": h.mac.toLowerCase() };
  if (h.name !== null) host["@_name"] = xmlString(h.name, `${at}: name`);
  host["@_ip"] = ipv4(h.ip, `${at}: ip`);
  return host;
}

function ipv4(value: string, what: string): string {
  if (!isIPv4(value)) throw new ValidationError(`${what}: ${JSON.stringify(value)} is not an IPv4 address`);
  return value;
}
