/**
 * The live part of a running guest's NIC changes other than attach/detach: `bandwidth` and
 * `link` (xml-diff.ts classes both `live`). Called by the domain resource's hotplug() after
 * the definition was updated.
 *
 * Contract: for each NIC whose bandwidth or link changed, the running guest's own
 * `<interface>` (live XML, found by MAC) is sent back through virDomainUpdateDeviceFlags
 * (AFFECT_LIVE) with only `<bandwidth>` and `<link>` replaced by the spec's — as `virsh
 * domif-setlink` does — so a restart-class change of the same NIC (model, source, …) that
 * waits for a restart does not make libvirt refuse the update. A NIC the running guest does
 * not have is skipped: it comes from the definition at the next start. libvirt applies
 * bandwidth with tc (htb + sfq for inbound, an ingress police filter for outbound); a host
 * kernel without them fails the update with libvirt's error.
 */
import type { FieldChange } from "../../../common/changes.js";
import type { DomainRef, Hypervisor } from "../../../libvirt/index.js";
import { attr, buildXml, child, children, parseXml, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { DomainSpec } from "../spec.js";
import { rateNode } from "./xml-build.js";

const LIVE_FIELD = /^interfaces\[(\d+)\]\.(bandwidth|link)$/;

/** Applies the `interfaces[i].bandwidth` / `interfaces[i].link` changes among `changes` to the running guest. */
export async function applyNicLiveChanges(
  hv: Hypervisor,
  ref: DomainRef,
  spec: DomainSpec,
  changes: readonly FieldChange[],
): Promise<void> {
  const indexes = [
    ...new Set(changes.flatMap((c) => (LIVE_FIELD.test(c.field) ? [Number(LIVE_FIELD.exec(c.field)![1])] : []))),
  ];
  if (indexes.length === 0) return;
  const running = children(child(parseXml(await hv.domainXml(ref), "domain"), "devices"), "interface");
  for (const i of indexes.sort((a, b) => a - b)) {
    const nic = spec.interfaces[i];
    if (nic === undefined) continue;
    const node = running.find((n) => (attr(child(n, "mac"), "address") ?? "").toLowerCase() === nic.mac.toLowerCase());
    if (node === undefined) continue;
    await hv.updateDevice(ref, buildXml("interface", liveInterfaceNode(node, spec, i)), { live: true, config: false });
  }
}

/** `node` (a running NIC's `<interface>`) with `<bandwidth>` and `<link>` as the spec's NIC `index` wants them. */
export function liveInterfaceNode(node: XmlNode, spec: DomainSpec, index: number): XmlNode {
  const nic = spec.interfaces[index]!;
  const where = `domain ${spec.name}: interfaces[${index}]`;
  const { bandwidth: _old, link: _oldLink, ...rest } = node;
  const out: XmlNode = { ...rest };
  const bw = nic.bandwidth;
  if (bw !== undefined && (bw.inbound || bw.outbound)) {
    const b: XmlNode = {};
    if (bw.inbound) b.inbound = rateNode(bw.inbound, `${where}: bandwidth.inbound`);
    if (bw.outbound) b.outbound = rateNode(bw.outbound, `${where}: bandwidth.outbound`);
    out.bandwidth = b;
  }
  out.link = { "@_state": nic.link === "down" ? "down" : "up" };
  return out;
}
