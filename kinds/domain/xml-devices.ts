/**
 * Single-device XML for hotplug (attach/detach/update-device on a running guest), built
 * with the same node builders as the whole domain so an attached device equals the one the
 * definition holds.
 */
import type { DomainSpec } from "./spec.js";
import { ValidationError } from "../../common/errors.js";
import { cdromNode, diskNode, interfaceNode } from "./xml-build.js";
import { targetNames } from "./target-names.js";
import type { DomainBuildContext } from "./parsed.js";
import { buildXml, xmlString } from "../libvirt-xml/xml-io.js";

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const TARGET_RE = /^[a-z]{2,3}[a-z]{1,3}$/;

/** `<interface>` of the spec's NIC `index`. */
export function buildInterfaceDeviceXml(spec: DomainSpec, index: number): string {
  const n = spec.interfaces[index];
  if (n === undefined) throw new ValidationError(`domain ${spec.name}: no interfaces[${index}]`);
  return buildXml("interface", interfaceNode(n, `domain ${spec.name}: interfaces[${index}]`));
}

/** `<disk>` of the spec's disk `index`, with the target name the builder gives it. */
export function buildDiskDeviceXml(
  spec: DomainSpec,
  index: number,
  ctx: Pick<DomainBuildContext, "diskPaths">,
): string {
  const d = spec.disks[index];
  if (d === undefined) throw new ValidationError(`domain ${spec.name}: no disks[${index}]`);
  const target = targetNames(spec).disks[index]!;
  return buildXml(
    "disk",
    diskNode(d, target, { ...ctx, domainType: "kvm", specHash: "" }, `domain ${spec.name}: disks[${index}]`),
  );
}

/** `<disk device='cdrom'>` of the spec's cdrom `index` (for update-device: a new medium). */
export function buildCdromDeviceXml(
  spec: DomainSpec,
  index: number,
  ctx: Pick<DomainBuildContext, "cdromPaths">,
): string {
  const c = spec.cdroms[index];
  if (c === undefined) throw new ValidationError(`domain ${spec.name}: no cdroms[${index}]`);
  const target = targetNames(spec).cdroms[index]!;
  return buildXml(
    "disk",
    cdromNode(
      c,
      target,
      { ...ctx, diskPaths: new Map(), domainType: "kvm", specHash: "" },
      `domain ${spec.name}: cdroms[${index}]`,
    ),
  );
}

/** Minimal `<interface>` naming a NIC by MAC, enough for libvirt to find it to detach. */
export function interfaceDetachXml(mac: string, network: string | null): string {
  if (!MAC_RE.test(mac)) throw new ValidationError(`mac ${JSON.stringify(mac)} is not a MAC address`);
  const node: Record<string, unknown> = { "@_type": "network", mac: { "@_address": mac.toLowerCase() } };
  if (network !== null) node.source = { "@_network": xmlString(network, "network") };
  return buildXml("interface", node);
}

/** Minimal `<disk>` naming a disk by target device, enough for libvirt to find it to detach. */
export function diskDetachXml(target: string): string {
  if (!TARGET_RE.test(target)) throw new ValidationError(`disk target ${JSON.stringify(target)} is not a device name`);
  return buildXml("disk", { "@_type": "volume", "@_device": "disk", target: { "@_dev": target } });
}
