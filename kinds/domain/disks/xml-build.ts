/**
 * The disks area's XML: `<disk>` elements for `disks[]` and `cdroms[]`.
 *
 * Contract: volume disks are `type='volume'` (`<source pool volume/>`), so the stored XML
 * names the same pool/volume the spec does, their `<driver type>` from `ctx.diskPaths`
 * (required); file disks `type='file'` with the spec's format; device disks `type='block'`,
 * raw. Disk options go where libvirt keeps them: cache, io, discard, detect_zeroes on
 * `<driver>`, then `<iotune>` (limits above 0 only), `<serial>`, `<readonly/>`,
 * `<shareable/>`, `<boot order>`; absent options are not written (libvirt adds none).
 * When a disk is on the scsi bus, one `<controller type='scsi' index='0'
 * model='virtio-scsi'/>` is added. cdroms are sata, read-only: pool/volume ones
 * `type='volume'`, path ones `type='file'`.
 * Target names come from target-names.ts (the diff matches on them).
 */
import { ValidationError } from "../../../common/errors.js";
import { buildXml, xmlChoice, xmlString, type XmlNode } from "../../libvirt-xml/xml-io.js";
import { appendNode, type DomainXmlParts } from "../area.js";
import type { DomainBuildContext } from "../parsed.js";
import type { DomainSpec } from "../spec.js";
import type { CdromSpec, DiskSpec, IotuneSpec } from "./schema.js";
import {
  DISK_BUSES,
  DISK_CACHES,
  DISK_DETECT_ZEROES,
  DISK_DISCARDS,
  DISK_IO_MODES,
  FILE_DISK_FORMATS,
  IOTUNE_FIELDS,
  IOTUNE_KEYS,
} from "./values.js";
import { isDeviceDisk, isFileDisk, isVolumeDisk } from "./sources.js";
import { CDROM_BUS, targetNames } from "./target-names.js";

export function buildDisks(spec: DomainSpec, ctx: DomainBuildContext, parts: DomainXmlParts, where: string): void {
  const names = targetNames(spec);
  const disks = [
    ...spec.disks.map((d, i) => diskNode(d, names.disks[i]!, ctx, `${where}: disks[${i}]`)),
    ...spec.cdroms.map((c, i) => cdromNode(c, names.cdroms[i]!, ctx, `${where}: cdroms[${i}]`)),
  ];
  if (disks.length) parts.devices.disk = disks;
  if (spec.disks.some((d) => d.bus === "scsi")) appendNode(parts.devices, "controller", scsiControllerNode());
}

/** The controller scsi disks sit on (libvirt would otherwise add an emulated LSI one). */
export const SCSI_CONTROLLER_MODEL = "virtio-scsi";

export function scsiControllerNode(): XmlNode {
  return { "@_type": "scsi", "@_index": "0", "@_model": SCSI_CONTROLLER_MODEL };
}

export function diskNode(
  d: DiskSpec,
  target: string,
  ctx: Pick<DomainBuildContext, "diskPaths">,
  where: string,
): XmlNode {
  let node: XmlNode;
  let format: string;
  if (isVolumeDisk(d)) {
    const key = `${d.pool}/${d.volume}`;
    const ref = ctx.diskPaths.get(key);
    if (ref === undefined)
      throw new ValidationError(
        `${where}: volume ${key} is not resolved (diskPaths has no entry); create or look up the volume first`,
      );
    format = ref.format;
    node = {
      "@_type": "volume",
      "@_device": "disk",
      source: { "@_pool": xmlString(d.pool, `${where}: pool`), "@_volume": xmlString(d.volume, `${where}: volume`) },
    };
  } else if (isFileDisk(d)) {
    format = xmlChoice(d.format, FILE_DISK_FORMATS, `${where}: format`);
    node = { "@_type": "file", "@_device": "disk", source: { "@_file": xmlString(d.file, `${where}: file`) } };
  } else if (isDeviceDisk(d)) {
    format = "raw";
    node = { "@_type": "block", "@_device": "disk", source: { "@_dev": xmlString(d.device, `${where}: device`) } };
  } else throw new ValidationError(`${where}: a disk needs one of pool/volume, file or device`);
  const driver: XmlNode = { "@_name": "qemu", "@_type": xmlString(format, `${where}: format`) };
  if (d.cache !== undefined) driver["@_cache"] = xmlChoice(d.cache, DISK_CACHES, `${where}: cache`);
  if (d.io !== undefined) driver["@_io"] = xmlChoice(d.io, DISK_IO_MODES, `${where}: io`);
  if (d.discard !== undefined) driver["@_discard"] = xmlChoice(d.discard, DISK_DISCARDS, `${where}: discard`);
  if (d.detectZeroes !== undefined)
    driver["@_detect_zeroes"] = xmlChoice(d.detectZeroes, DISK_DETECT_ZEROES, `${where}: detectZeroes`);
  const { source, ...kind } = node;
  const out: XmlNode = {
    ...kind,
    driver,
    source,
    target: { "@_dev": target, "@_bus": xmlChoice(d.bus, DISK_BUSES, `${where}: bus`) },
  };
  const iotune = iotuneNode(d.iotune, where);
  if (iotune !== undefined) out.iotune = iotune;
  if (d.serial !== undefined) out.serial = xmlString(d.serial, `${where}: serial`);
  if (d.readonly === true) out.readonly = "";
  if (d.shareable === true) out.shareable = "";
  if (d.bootIndex !== undefined) out.boot = { "@_order": String(positiveInt(d.bootIndex, `${where}: bootIndex`)) };
  return out;
}

function iotuneNode(t: IotuneSpec | undefined, where: string): XmlNode | undefined {
  if (t === undefined) return undefined;
  const out: XmlNode = {};
  for (const k of IOTUNE_KEYS) {
    const v = t[k];
    if (v !== undefined && nonNegativeInt(v, `${where}: iotune.${k}`) > 0) out[IOTUNE_FIELDS[k]] = String(v);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function nonNegativeInt(v: number, field: string): number {
  if (!Number.isSafeInteger(v) || v < 0)
    throw new ValidationError(`${field}: ${String(v)} is not a non-negative integer`);
  return v;
}

function positiveInt(v: number, field: string): number {
  if (nonNegativeInt(v, field) < 1) throw new ValidationError(`${field}: must be at least 1`);
  return v;
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
