/**
 * The NICs area's XML: `<interface type='network'>` with the pinned MAC (lower-cased) and
 * `<model>`; the same node for the whole definition and for hot-plug, so an attached NIC
 * equals the one the definition holds.
 */
import { ValidationError } from "../../../common/errors.js";
import { buildXml, xmlChoice, xmlString, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { DomainXmlParts } from "../area.js";
import type { DomainSpec } from "../spec.js";
import type { InterfaceSpec } from "./schema.js";

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export function buildNics(spec: DomainSpec, parts: DomainXmlParts, where: string): void {
  if (spec.interfaces.length)
    parts.devices.interface = spec.interfaces.map((n, i) => interfaceNode(n, `${where}: interfaces[${i}]`));
}

export function interfaceNode(n: InterfaceSpec, where: string): XmlNode {
  if (!MAC_RE.test(n.mac))
    throw new ValidationError(`${where}: mac ${JSON.stringify(n.mac)} is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return {
    "@_type": "network",
    mac: { "@_address": n.mac.toLowerCase() },
    source: { "@_network": xmlString(n.network, `${where}: network`) },
    model: { "@_type": xmlChoice(n.model, ["virtio", "e1000", "e1000e", "rtl8139"], `${where}: model`) },
  };
}

/** `<interface>` of the spec's NIC `index` (hot-plug). */
export function buildInterfaceDeviceXml(spec: DomainSpec, index: number): string {
  const n = spec.interfaces[index];
  if (n === undefined) throw new ValidationError(`domain ${spec.name}: no interfaces[${index}]`);
  return buildXml("interface", interfaceNode(n, `domain ${spec.name}: interfaces[${index}]`));
}

/** Minimal `<interface>` naming a NIC by MAC, enough for libvirt to find it to detach. */
export function interfaceDetachXml(mac: string, network: string | null): string {
  if (!MAC_RE.test(mac)) throw new ValidationError(`mac ${JSON.stringify(mac)} is not a MAC address`);
  const node: XmlNode = { "@_type": "network", mac: { "@_address": mac.toLowerCase() } };
  if (network !== null) node.source = { "@_network": xmlString(network, "network") };
  return buildXml("interface", node);
}
