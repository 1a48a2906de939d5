import { attr, child, children, text, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { ParsedDisk, ParsedDisks } from "./parsed.js";
import type { IotuneSpec } from "./schema.js";
import { IOTUNE_FIELDS, IOTUNE_KEYS } from "./values.js";

/**
 * `<disk>` elements of `<devices>` (device `disk` and `cdrom`, in document order) and the
 * `<controller type='scsi'>` models. Reads only what the spec can set: other iotune
 * limits, addresses, aliases and libvirt's other controllers are ignored.
 */
export function parseDisks(devices: XmlNode | undefined): ParsedDisks {
  const disks: ParsedDisk[] = [];
  const cdroms: ParsedDisk[] = [];
  for (const disk of children(devices, "disk")) {
    const device = attr(disk, "device") ?? "disk";
    if (device === "disk") disks.push(parseDisk(disk));
    else if (device === "cdrom") cdroms.push(parseDisk(disk));
  }
  const scsiControllers = children(devices, "controller")
    .filter((c) => attr(c, "type") === "scsi")
    .map((c) => ({ index: Number(attr(c, "index") ?? "0"), model: attr(c, "model") }));
  return { disks, cdroms, scsiControllers };
}

function parseDisk(disk: XmlNode): ParsedDisk {
  const source = child(disk, "source");
  const target = child(disk, "target");
  const driver = child(disk, "driver");
  const type = attr(disk, "type") ?? "file";
  const order = attr(child(disk, "boot"), "order");
  return {
    target: attr(target, "dev") ?? "",
    bus: attr(target, "bus") ?? "",
    type,
    pool: type === "volume" ? attr(source, "pool") : null,
    volume: type === "volume" ? attr(source, "volume") : null,
    path: type === "file" ? attr(source, "file") : type === "block" ? attr(source, "dev") : null,
    format: attr(driver, "type"),
    cache: attr(driver, "cache"),
    io: attr(driver, "io"),
    discard: attr(driver, "discard"),
    detectZeroes: attr(driver, "detect_zeroes"),
    serial: text(disk, "serial") ?? null,
    readonly: child(disk, "readonly") !== undefined,
    shareable: child(disk, "shareable") !== undefined,
    bootIndex: order === null ? null : Number(order),
    iotune: parseIotune(child(disk, "iotune")),
  };
}

function parseIotune(node: XmlNode | undefined): IotuneSpec {
  const out: IotuneSpec = {};
  if (node === undefined) return out;
  for (const k of IOTUNE_KEYS) {
    const v = Number(text(node, IOTUNE_FIELDS[k]) ?? "0");
    if (Number.isFinite(v) && v > 0) out[k] = v;
  }
  return out;
}
