/**
 * The NICs area's XML: `<interface type='network|bridge|direct'>` with the pinned MAC
 * (lower-cased), its `<source>`, `<model>` and each optional element the spec sets (vlan,
 * bandwidth, link, boot order, driver queues; a `bridge` NIC with a VLAN tag is an Open vSwitch port:
 * `<virtualport type='openvswitch'/>`, never compared: libvirt adds its interfaceid); the same node for the whole definition and for
 * hot-plug, so an attached NIC equals the one the definition holds.
 *
 * `queues` is written as `<driver queues='N'/>` WITHOUT `name='vhost'`: libvirt then uses
 * vhost-net when /dev/vhost-net exists and QEMU's own virtio-net (still multiqueue) when it
 * does not; with `name='vhost'` a guest on a host without /dev/vhost-net does not start
 * ("vhost-net was requested for an interface, but is unavailable", checked here).
 */
import { ValidationError } from "../../../common/errors.js";
import { buildXml, xmlChoice, xmlString, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { DomainXmlParts } from "../area.js";
import type { DomainSpec } from "../spec.js";
import type { InterfaceSpec, NicRateSpec } from "./schema.js";
import { NIC_LINK_STATES, NIC_MACVTAP_MODES, NIC_MAX_QUEUES, NIC_MODELS } from "./values.js";

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export function buildNics(spec: DomainSpec, parts: DomainXmlParts, where: string): void {
  if (spec.interfaces.length)
    parts.devices.interface = spec.interfaces.map((n, i) => interfaceNode(n, `${where}: interfaces[${i}]`));
}

export function interfaceNode(n: InterfaceSpec, where: string): XmlNode {
  if (!MAC_RE.test(n.mac))
    throw new ValidationError(`${where}: mac ${JSON.stringify(n.mac)} is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  const { "@_type": type, source } = sourceOf(n, where);
  const node: XmlNode = { "@_type": type, mac: { "@_address": n.mac.toLowerCase() }, source };
  if (n.vlan !== undefined) node.vlan = { tag: { "@_id": String(int(n.vlan, 1, 4094, `${where}: vlan`)) } };
  // libvirt tags a host bridge NIC only as an Open vSwitch port (vlan.ts; host-check.ts refuses a Linux bridge).
  if (n.vlan !== undefined && n.bridge !== undefined) node.virtualport = { "@_type": "openvswitch" };
  if (n.bandwidth !== undefined) {
    const bw: XmlNode = {};
    if (n.bandwidth.inbound) bw.inbound = rateNode(n.bandwidth.inbound, `${where}: bandwidth.inbound`);
    if (n.bandwidth.outbound) bw.outbound = rateNode(n.bandwidth.outbound, `${where}: bandwidth.outbound`);
    node.bandwidth = bw;
  }
  node.model = { "@_type": xmlChoice(n.model, NIC_MODELS, `${where}: model`) };
  if (n.queues !== undefined) {
    if (n.model !== "virtio") throw new ValidationError(`${where}: queues needs model virtio`);
    node.driver = { "@_queues": String(int(n.queues, 1, NIC_MAX_QUEUES, `${where}: queues`)) };
  }
  if (n.link !== undefined) node.link = { "@_state": xmlChoice(n.link, NIC_LINK_STATES, `${where}: link`) };
  if (n.bootIndex !== undefined) node.boot = { "@_order": String(int(n.bootIndex, 1, 65535, `${where}: bootIndex`)) };
  return node;
}

/** `type` and `<source>` of a NIC: exactly one of network, bridge, direct. */
function sourceOf(n: InterfaceSpec, where: string): { "@_type": string; source: XmlNode } {
  const set = (["network", "bridge", "direct"] as const).filter((k) => n[k] !== undefined);
  if (set.length !== 1)
    throw new ValidationError(
      `${where}: needs exactly one of network, bridge or direct (has ${set.join(", ") || "none"})`,
    );
  if (n.network !== undefined) {
    const source: XmlNode = { "@_network": xmlString(n.network, `${where}: network`) };
    if (n.portgroup !== undefined) source["@_portgroup"] = xmlString(n.portgroup, `${where}: portgroup`);
    return { "@_type": "network", source };
  }
  if (n.portgroup !== undefined) throw new ValidationError(`${where}: portgroup needs network`);
  if (n.bridge !== undefined)
    return { "@_type": "bridge", source: { "@_bridge": xmlString(n.bridge, `${where}: bridge`) } };
  const source: XmlNode = { "@_dev": xmlString(n.direct!, `${where}: direct`) };
  if (n.macvtapMode !== undefined)
    source["@_mode"] = xmlChoice(n.macvtapMode, NIC_MACVTAP_MODES, `${where}: macvtapMode`);
  return { "@_type": "direct", source };
}

/** `<inbound|outbound average peak? burst?>` (kbytes/s, kbytes). */
export function rateNode(r: NicRateSpec, at: string): XmlNode {
  const node: XmlNode = { "@_average": String(int(r.average, 1, 4294967295, `${at}.average`)) };
  if (r.peak !== undefined) node["@_peak"] = String(int(r.peak, 1, 4294967295, `${at}.peak`));
  if (r.burst !== undefined) node["@_burst"] = String(int(r.burst, 1, 4294967295, `${at}.burst`));
  return node;
}

function int(v: number, min: number, max: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw new ValidationError(`${what} must be ${min}..${max}, got ${v}`);
  return v;
}

/**
 * `<interface>` of the spec's NIC `index` (hot-plug), without `<boot order>`: libvirt refuses
 * a per-device boot element on a running guest that boots by `<os><boot>` (which libvirt adds
 * to a guest that has no per-device boot order: "per-device boot elements cannot be used
 * together with os/boot elements"), and a boot order matters only when the guest starts; the
 * definition carries it for the next start.
 */
export function buildInterfaceDeviceXml(spec: DomainSpec, index: number): string {
  const n = spec.interfaces[index];
  if (n === undefined) throw new ValidationError(`domain ${spec.name}: no interfaces[${index}]`);
  const { boot: _boot, ...node } = interfaceNode(n, `domain ${spec.name}: interfaces[${index}]`);
  return buildXml("interface", node);
}

/** What a removed NIC's change carries (its `from`): its MAC and its type's source. */
export interface NicIdentity {
  mac: string;
  network?: string | null;
  bridge?: string | null;
  direct?: string | null;
  /** Another interface type (hostdev, user, …) when none of the above. */
  type?: string;
}

/**
 * Minimal `<interface>` naming a NIC by MAC, of its own type with its source (libvirt parses
 * the element before it looks the NIC up by MAC), enough to detach it.
 */
export function interfaceDetachXml(nic: NicIdentity): string {
  if (!MAC_RE.test(nic.mac)) throw new ValidationError(`mac ${JSON.stringify(nic.mac)} is not a MAC address`);
  const mac = { "@_address": nic.mac.toLowerCase() };
  let node: XmlNode;
  if (typeof nic.bridge === "string")
    node = { "@_type": "bridge", mac, source: { "@_bridge": xmlString(nic.bridge, "bridge") } };
  else if (typeof nic.direct === "string")
    node = { "@_type": "direct", mac, source: { "@_dev": xmlString(nic.direct, "direct") } };
  else if (nic.type !== undefined && nic.type !== "network") node = { "@_type": xmlString(nic.type, "type"), mac };
  else {
    node = { "@_type": "network", mac };
    if (typeof nic.network === "string") node.source = { "@_network": xmlString(nic.network, "network") };
  }
  return buildXml("interface", node);
}
