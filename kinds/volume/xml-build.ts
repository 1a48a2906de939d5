/**
 * Desired volume XML: `<capacity unit='bytes'>`, `<target><format>`; an overlay
 * (spec.backingVolume) needs `ctx.backingPath` and `ctx.backingFormat` (qemu-img requires the
 * backing format), and must be qcow2. libvirt rounds a qcow2 capacity up to a multiple of 512 bytes.
 */
import { ValidationError } from "../../common/errors.js";
import { buildXml, xmlString, type XmlNode } from "../libvirt-xml/xml-io.js";
import type { VolumeSpec } from "./spec.js";

export interface VolumeBuildContext {
  /** Path of the backing volume (`vol-path`), required when spec.backingVolume is set. */
  backingPath?: string;
  /** Format of the backing volume, required when spec.backingVolume is set. */
  backingFormat?: string;
}

export function buildVolumeXml(spec: VolumeSpec, ctx: VolumeBuildContext = {}): string {
  const where = `volume ${spec.pool}/${spec.name}`;
  if (spec.name.includes("/") || spec.name === "." || spec.name === ".." || spec.name === "") {
    throw new ValidationError(`${where}: name must be a plain file name (no "/", not "." or "..")`);
  }
  if (!Number.isSafeInteger(spec.capacityBytes) || spec.capacityBytes <= 0)
    throw new ValidationError(`${where}: capacityBytes must be a positive integer, got ${spec.capacityBytes}`);
  if (spec.format !== "qcow2" && spec.format !== "raw")
    throw new ValidationError(`${where}: format ${JSON.stringify(spec.format)} is not supported (qcow2, raw)`);
  const vol: XmlNode = {
    name: xmlString(spec.name, `${where}: name`),
    capacity: { "@_unit": "bytes", "#text": String(spec.capacityBytes) },
    target: { format: { "@_type": spec.format } },
  };
  if (spec.backingVolume !== null) {
    if (spec.format !== "qcow2")
      throw new ValidationError(`${where}: an overlay on ${spec.backingVolume} must be qcow2`);
    if (ctx.backingPath === undefined || ctx.backingFormat === undefined) {
      throw new ValidationError(
        `${where}: backing volume ${spec.backingVolume} is not resolved (backingPath and backingFormat are required)`,
      );
    }
    vol.backingStore = {
      path: xmlString(ctx.backingPath, `${where}: backingPath`),
      format: { "@_type": xmlString(ctx.backingFormat, `${where}: backingFormat`) },
    };
  }
  return buildXml("volume", vol);
}
