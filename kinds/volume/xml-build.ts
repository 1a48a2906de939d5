/**
 * Desired volume XML: `<capacity unit='bytes'>`, `<allocation unit='bytes'>` when declared
 * (allocation.ts), `<target><format>` when the volume has a format (the declared one, else the
 * pool type's default, pool-formats.ts; none in logical and rbd pools); an overlay
 * (spec.backingVolume) needs `ctx.backingPath` and `ctx.backingFormat` (qemu-img requires the
 * backing format), and must be qcow2. libvirt rounds a qcow2 capacity up to a multiple of 512 bytes.
 */
import { ValidationError } from "../../common/errors.js";
import { buildXml, xmlString, type XmlNode } from "../libvirt-xml/xml-io.js";
import { poolVolumeRules, VOLUME_FORMATS } from "./pool-formats.js";
import type { VolumeSpec } from "./spec.js";

export interface VolumeBuildContext {
  /** Path of the backing volume (`vol-path`), required when spec.backingVolume is set. */
  backingPath?: string;
  /** Format of the backing volume, required when spec.backingVolume is set. */
  backingFormat?: string;
  /** The pool's type (dir, disk, logical, …); absent: a file pool. */
  poolType?: string;
}

/** The format a volume of `spec` has in a pool of `poolType`: declared, else the type's default (null: none). */
export function effectiveFormat(format: string | null, poolType?: string): string | null {
  if (format !== null) return format;
  if (poolType === undefined) return "qcow2";
  return poolVolumeRules(poolType)?.defaultFormat ?? null;
}

export function buildVolumeXml(spec: VolumeSpec, ctx: VolumeBuildContext = {}): string {
  const where = `volume ${spec.pool}/${spec.name}`;
  if (spec.name.includes("/") || spec.name === "." || spec.name === ".." || spec.name === "") {
    throw new ValidationError(`${where}: name must be a plain file name (no "/", not "." or "..")`);
  }
  if (!Number.isSafeInteger(spec.capacityBytes) || spec.capacityBytes <= 0)
    throw new ValidationError(`${where}: capacityBytes must be a positive integer, got ${spec.capacityBytes}`);
  const format = effectiveFormat(spec.format, ctx.poolType);
  if (format !== null && !(VOLUME_FORMATS as readonly string[]).includes(format))
    throw new ValidationError(
      `${where}: format ${JSON.stringify(format)} is not supported (${VOLUME_FORMATS.join(", ")})`,
    );
  const alloc = spec.allocationBytes;
  if (alloc !== undefined && (!Number.isSafeInteger(alloc) || alloc < 0 || alloc > spec.capacityBytes))
    throw new ValidationError(`${where}: allocationBytes must be 0 … capacityBytes, got ${alloc}`);
  const vol: XmlNode = {
    name: xmlString(spec.name, `${where}: name`),
    capacity: { "@_unit": "bytes", "#text": String(spec.capacityBytes) },
  };
  if (alloc !== undefined) vol.allocation = { "@_unit": "bytes", "#text": String(alloc) };
  if (format !== null) vol.target = { format: { "@_type": format } };
  if (spec.backingVolume !== null) {
    if (format !== "qcow2") throw new ValidationError(`${where}: an overlay on ${spec.backingVolume} must be qcow2`);
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
