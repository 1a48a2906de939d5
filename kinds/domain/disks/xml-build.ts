/**
 * The disks area's XML: `<disk>` elements for `disks[]` and `cdroms[]`.
 *
 * Contract: disks are `type='volume'` (`<source pool volume/>`), so the stored XML names the
 * same pool/volume the spec does; `<driver type>` comes from `ctx.diskPaths` (required);
 * cdroms are sata, read-only: pool/volume ones `type='volume'`, path ones `type='file'`.
 * Target names come from target-names.ts (the diff matches on them).
 */
import { ValidationError } from "../../../common/errors.js";
import { buildXml, xmlChoice, xmlString, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { DomainXmlParts } from "../area.js";
import type { DomainBuildContext } from "../parsed.js";
import type { DomainSpec } from "../spec.js";
import type { CdromSpec, DiskSpec } from "./schema.js";
import { CDROM_BUS, targetNames } from "./target-names.js";

export function buildDisks(spec: DomainSpec, ctx: DomainBuildContext, parts: DomainXmlParts, where: string): void {
  const names = targetNames(spec);
  const disks = [
    ...spec.disks.map((d, i) => diskNode(d, names.disks[i]!, ctx, `${where}: disks[${i}]`)),
    ...spec.cdroms.map((c, i) => cdromNode(c, names.cdroms[i]!, ctx, `${where}: cdroms[${i}]`)),
  ];
  if (disks.length) parts.devices.disk = disks;
}

export function diskNode(
  d: DiskSpec,
  target: string,
  ctx: Pick<DomainBuildContext, "diskPaths">,
  where: string,
): XmlNode {
  const key = `${d.pool}/${d.volume}`;
  const ref = ctx.diskPaths.get(key);
  if (ref === undefined)
    throw new ValidationError(
      `${where}: volume ${key} is not resolved (diskPaths has no entry); create or look up the volume first`,
    );
  return {
    "@_type": "volume",
    "@_device": "disk",
    driver: { "@_name": "qemu", "@_type": xmlString(ref.format, `${where}: format`) },
    source: { "@_pool": xmlString(d.pool, `${where}: pool`), "@_volume": xmlString(d.volume, `${where}: volume`) },
    target: { "@_dev": target, "@_bus": xmlChoice(d.bus, ["virtio", "sata", "scsi"], `${where}: bus`) },
  };
}

export function cdromNode(
  c: CdromSpec,
  target: string,
  ctx: Pick<DomainBuildContext, "cdromPaths">,
  where: string,
): XmlNode {
  if ("path" in c) {
    return {
      "@_type": "file",
      "@_device": "cdrom",
      driver: { "@_name": "qemu", "@_type": "raw" },
      source: { "@_file": xmlString(c.path, `${where}: path`) },
      target: { "@_dev": target, "@_bus": CDROM_BUS },
      readonly: "",
    };
  }
  const ref = ctx.cdromPaths?.get(`${c.pool}/${c.volume}`);
  return {
    "@_type": "volume",
    "@_device": "cdrom",
    driver: { "@_name": "qemu", "@_type": xmlString(ref?.format ?? "raw", `${where}: format`) },
    source: { "@_pool": xmlString(c.pool, `${where}: pool`), "@_volume": xmlString(c.volume, `${where}: volume`) },
    target: { "@_dev": target, "@_bus": CDROM_BUS },
    readonly: "",
  };
}

const TARGET_RE = /^[a-z]{2,3}[a-z]{1,3}$/;

/** `<disk>` of the spec's disk `index` (hot-plug), with the target name the builder gives it. */
export function buildDiskDeviceXml(
  spec: DomainSpec,
  index: number,
  ctx: Pick<DomainBuildContext, "diskPaths">,
): string {
  const d = spec.disks[index];
  if (d === undefined) throw new ValidationError(`domain ${spec.name}: no disks[${index}]`);
  const target = targetNames(spec).disks[index]!;
  return buildXml("disk", diskNode(d, target, ctx, `domain ${spec.name}: disks[${index}]`));
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
  return buildXml("disk", cdromNode(c, target, ctx, `domain ${spec.name}: cdroms[${index}]`));
}

/** Minimal `<disk>` naming a disk by target device, enough for libvirt to find it to detach. */
export function diskDetachXml(target: string): string {
  if (!TARGET_RE.test(target)) throw new ValidationError(`disk target ${JSON.stringify(target)} is not a device name`);
  return buildXml("disk", { "@_type": "volume", "@_device": "disk", target: { "@_dev": target } });
}
