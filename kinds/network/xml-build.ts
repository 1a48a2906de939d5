/**
 * Desired network XML from a NetworkSpec.
 *
 * Contract, by mode:
 * - `nat` (`<nat><port start end/></nat>` when `nat` is set), `route`, `open` → `<forward
 *   mode>`; `isolated` → no <forward>. These get the bridge libvirt creates (a named bridge
 *   with `stp='on' delay='0'`, what libvirt writes anyway; null lets libvirt pick `virbrN`),
 *   `<mtu>`, `<domain>`, `<dns>` (forwarders, then host entries), one `<ip>` per family
 *   (IPv6 with `family='ipv6'`; DHCPv6 hosts as `<host id? name? ip>`);
 * - `bridge` → `<forward mode='bridge'/>` + `<bridge name>` of an existing host bridge (no
 *   stp/delay/ip, which libvirt rejects there), `<virtualport type='openvswitch'/>` when set;
 * - `macvtap` → `<forward mode=MACVTAPMODE><interface dev=INTERFACE/></forward>` (libvirt's
 *   "direct" modes bridge, vepa, private, passthrough);
 * - `hostdev` → `<forward mode='hostdev' managed='yes'><pf dev=PF/></forward>`;
 * - every mode: `<portgroup name default?>` with `<vlan><tag id/></vlan>` and `<bandwidth>`.
 * DHCP host MACs are lower-cased. Pass `uuid` to redefine an existing network. Throws
 * ValidationError for a spec the loader would have rejected (a hostile or corrupt bundle).
 */
import { isIPv4, isIPv6 } from "node:net";
import { ValidationError } from "../../common/errors.js";
import { buildXml, xmlString, xmlUuid, type XmlNode } from "../libvirt-xml/xml-io.js";
import { completeNetworkSpec } from "./complete.js";
import type {
  CompleteNetworkSpec,
  Dhcp6HostSpec,
  DhcpHostSpec,
  DnsHostSpec,
  NetworkSpec,
  PortgroupSpec,
  RateSpec,
} from "./spec.js";

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const DUID_RE = /^[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2}){1,129}$/;

export function buildNetworkXml(input: NetworkSpec, ctx: { uuid?: string } = {}): string {
  const spec = completeNetworkSpec(input);
  const where = `network ${spec.name}`;
  const net: XmlNode = { name: xmlString(spec.name, `${where}: name`) };
  if (ctx.uuid !== undefined) net.uuid = xmlUuid(ctx.uuid, `${where}: uuid`);

  switch (spec.mode) {
    case "nat":
      net.forward = spec.nat
        ? { "@_mode": "nat", nat: { port: { "@_start": port(spec.nat.portStart), "@_end": port(spec.nat.portEnd) } } }
        : { "@_mode": "nat" };
      break;
    case "route":
    case "open":
      net.forward = { "@_mode": spec.mode };
      break;
    case "isolated":
      break;
    case "bridge":
      if (spec.bridge === null)
        throw new ValidationError(`${where}: mode bridge needs the name of an existing host bridge`);
      if (spec.ipv4 !== null || spec.ipv6 !== null)
        throw new ValidationError(
          `${where}: mode bridge cannot have ipv4 or ipv6 (the host bridge's own network serves the guests)`,
        );
      net.forward = { "@_mode": "bridge" };
      break;
    case "macvtap":
      net.forward = {
        "@_mode": spec.macvtapMode ?? "bridge",
        interface: { "@_dev": required(spec.interface, `${where}: mode macvtap needs interface`) },
      };
      break;
    case "hostdev":
      net.forward = {
        "@_mode": "hostdev",
        "@_managed": "yes",
        pf: { "@_dev": required(spec.pf, `${where}: mode hostdev needs pf`) },
      };
      break;
    default:
      throw new ValidationError(`${where}: unknown mode ${JSON.stringify(spec.mode)}`);
  }
  const routed = spec.mode !== "bridge" && spec.mode !== "macvtap" && spec.mode !== "hostdev";
  if (!routed && (spec.ipv4 || spec.ipv6 || spec.domain || spec.mtu !== null || hasDns(spec)))
    throw new ValidationError(`${where}: mode ${spec.mode} takes no ipv4, ipv6, dns, domain or mtu`);
  if (spec.bridge !== null && spec.mode !== "macvtap" && spec.mode !== "hostdev") {
    const bridge: XmlNode = { "@_name": xmlString(spec.bridge, `${where}: bridge`) };
    if (routed) {
      bridge["@_stp"] = "on";
      bridge["@_delay"] = "0";
    }
    net.bridge = bridge;
  }
  if (spec.virtualport !== null) {
    if (spec.mode !== "bridge") throw new ValidationError(`${where}: virtualport needs mode bridge`);
    net.virtualport = { "@_type": spec.virtualport };
  }
  if (spec.mtu !== null) {
    if (!Number.isSafeInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 65535)
      throw new ValidationError(`${where}: mtu must be 68..65535, got ${spec.mtu}`);
    net.mtu = { "@_size": String(spec.mtu) };
  }
  if (spec.domain !== null) net.domain = { "@_name": xmlString(spec.domain, `${where}: domain`) };
  if (hasDns(spec)) net.dns = dnsNode(spec.dns, where);
  const ips: XmlNode[] = [];
  if (spec.ipv4 !== null) ips.push(ipv4Node(spec.ipv4, where));
  if (spec.ipv6 !== null) ips.push(ipv6Node(spec.ipv6, where));
  if (ips.length) net.ip = ips;
  if (spec.portgroups.length)
    net.portgroup = spec.portgroups.map((g, i) => portgroupNode(g, `${where}: portgroups[${i}]`));
  return buildXml("network", net);
}

function hasDns(spec: CompleteNetworkSpec): boolean {
  return spec.dns.hosts.length > 0 || spec.dns.forwarders.length > 0;
}

function ipv4Node(v4: NonNullable<NetworkSpec["ipv4"]>, where: string): XmlNode {
  const { address, prefix, dhcp } = v4;
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
    if (dhcp.hosts.length) d.host = dhcp.hosts.map((h, i) => dhcpHostNode(h, `${where}: ipv4.dhcp.hosts[${i}]`));
    ip.dhcp = d;
  }
  return ip;
}

function ipv6Node(v6: NonNullable<CompleteNetworkSpec["ipv6"]>, where: string): XmlNode {
  const { address, prefix, dhcp } = v6;
  ipv6(address, `${where}: ipv6.address`);
  if (!Number.isSafeInteger(prefix) || prefix < 1 || prefix > 128)
    throw new ValidationError(`${where}: ipv6.prefix must be 1..128, got ${prefix}`);
  const ip: XmlNode = { "@_family": "ipv6", "@_address": address, "@_prefix": String(prefix) };
  if (dhcp !== null) {
    const d: XmlNode = {
      range: {
        "@_start": ipv6(dhcp.start, `${where}: ipv6.dhcp.start`),
        "@_end": ipv6(dhcp.end, `${where}: ipv6.dhcp.end`),
      },
    };
    if (dhcp.hosts.length) d.host = dhcp.hosts.map((h, i) => dhcp6HostNode(h, `${where}: ipv6.dhcp.hosts[${i}]`));
    ip.dhcp = d;
  }
  return ip;
}

function dnsNode(dns: CompleteNetworkSpec["dns"], where: string): XmlNode {
  const node: XmlNode = {};
  if (dns.forwarders.length)
    node.forwarder = dns.forwarders.map((f, i) => ({ "@_addr": anyIp(f, `${where}: dns.forwarders[${i}]`) }));
  if (dns.hosts.length) node.host = dns.hosts.map((h, i) => dnsHostNode(h, `${where}: dns.hosts[${i}]`));
  return node;
}

function portgroupNode(g: PortgroupSpec, at: string): XmlNode {
  const node: XmlNode = { "@_name": xmlString(g.name, `${at}: name`) };
  if (g.default) node["@_default"] = "yes";
  if (g.vlan !== null) {
    if (!Number.isSafeInteger(g.vlan) || g.vlan < 1 || g.vlan > 4094)
      throw new ValidationError(`${at}: vlan must be 1..4094, got ${g.vlan}`);
    node.vlan = { tag: { "@_id": String(g.vlan) } };
  }
  if (g.inbound || g.outbound) {
    const bw: XmlNode = {};
    if (g.inbound) bw.inbound = rateNode(g.inbound, `${at}: bandwidth.inbound`);
    if (g.outbound) bw.outbound = rateNode(g.outbound, `${at}: bandwidth.outbound`);
    node.bandwidth = bw;
  }
  return node;
}

function rateNode(r: RateSpec, at: string): XmlNode {
  const n = (v: number, what: string) => {
    if (!Number.isSafeInteger(v) || v < 1 || v > 4294967295)
      throw new ValidationError(`${at}: ${what} must be 1..4294967295, got ${v}`);
    return String(v);
  };
  const node: XmlNode = { "@_average": n(r.average, "average") };
  if (r.peak !== null) node["@_peak"] = n(r.peak, "peak");
  if (r.burst !== null) node["@_burst"] = n(r.burst, "burst");
  return node;
}

/** One `<host mac ip name/>` element, as net-update (section ip-dhcp-host) takes it. */
export function buildDhcpHostXml(h: DhcpHostSpec, where = "dhcp host"): string {
  return buildXml("host", dhcpHostNode(h, where));
}

/** One DHCPv6 `<host id? name? ip/>` element, as net-update (section ip-dhcp-host, parent index of the IPv6 `<ip>`) takes it. */
export function buildDhcp6HostXml(h: Dhcp6HostSpec, where = "dhcpv6 host"): string {
  return buildXml("host", dhcp6HostNode(h, where));
}

/** One `<host ip><hostname/>…</host>` element, as net-update (section dns-host) takes it. */
export function buildDnsHostXml(h: DnsHostSpec, where = "dns host"): string {
  return buildXml("host", dnsHostNode(h, where));
}

function dhcpHostNode(h: DhcpHostSpec, at: string): XmlNode {
  if (!MAC_RE.test(h.mac)) throw new ValidationError(`${at}: mac ${JSON.stringify(h.mac)} is not a MAC address`);
  const host: XmlNode = { "@_mac": h.mac.toLowerCase() };
  if (h.name !== null) host["@_name"] = xmlString(h.name, `${at}: name`);
  host["@_ip"] = ipv4(h.ip, `${at}: ip`);
  return host;
}

function dhcp6HostNode(h: Dhcp6HostSpec, at: string): XmlNode {
  const host: XmlNode = {};
  if (h.id !== null) {
    if (!DUID_RE.test(h.id)) throw new ValidationError(`${at}: id ${JSON.stringify(h.id)} is not a DUID`);
    host["@_id"] = h.id;
  }
  if (h.name !== null) host["@_name"] = xmlString(h.name, `${at}: name`);
  if (h.id === null && h.name === null) throw new ValidationError(`${at}: needs id (DUID) or name`);
  host["@_ip"] = ipv6(h.ip, `${at}: ip`);
  return host;
}

function dnsHostNode(h: DnsHostSpec, at: string): XmlNode {
  if (h.names.length === 0) throw new ValidationError(`${at}: needs at least one name`);
  return {
    "@_ip": anyIp(h.ip, `${at}: ip`),
    hostname: h.names.map((n, i) => ({ "#text": xmlString(n, `${at}: names[${i}]`) })),
  };
}

function required(v: string | null, message: string): string {
  if (v === null) throw new ValidationError(message);
  return xmlString(v, message);
}

function port(v: number): string {
  if (!Number.isSafeInteger(v) || v < 1 || v > 65535) throw new ValidationError(`nat port must be 1..65535, got ${v}`);
  return String(v);
}

function ipv4(value: string, what: string): string {
  if (!isIPv4(value)) throw new ValidationError(`${what}: ${JSON.stringify(value)} is not an IPv4 address`);
  return value;
}

function ipv6(value: string, what: string): string {
  if (!isIPv6(value) || value.includes("%"))
    throw new ValidationError(`${what}: ${JSON.stringify(value)} is not an IPv6 address`);
  return value;
}

function anyIp(value: string, what: string): string {
  if (!isIPv4(value) && !(isIPv6(value) && !value.includes("%")))
    throw new ValidationError(`${what}: ${JSON.stringify(value)} is not an IP address`);
  return value;
}
