/**
 * Desired volume spec vs parsed actual XML. Data lives in volumes, so anything that cannot
 * be done in place is destructive:
 * - capacity grow → `live` (vol-resize); shrink → `recreate`, destructive (never resize
 *   down: the guest's filesystem would be cut). A qcow2 capacity compares after rounding
 *   the desired bytes up to 512, as qemu-img does;
 * - format → `recreate`, destructive;
 * - backing volume → `recreate`, destructive. Compared by path when `ctx.backingPath` is
 *   given, otherwise by the backing path's file name (same pool), and by format when
 *   `ctx.backingFormat` is given.
 * A format left out compares as the pool type's default (`ctx.poolType`, pool-formats.ts);
 * where that is none (logical, rbd, disk) the format is not compared.
 * `source` (import), `cloneFrom` and `allocation` are creation-time choices: never compared
 * here, never drift (allocation grows as the guest writes).
 */
import { basename } from "node:path";
import type { FieldChange } from "../../common/changes.js";
import type { ParsedVolume } from "./parsed.js";
import type { VolumeSpec } from "./spec.js";
import { effectiveFormat } from "./xml-build.js";

/** Capacity libvirt will report for `capacityBytes` of `format`. */
export function effectiveCapacity(format: string | null, capacityBytes: number): number {
  return format === "qcow2" ? Math.ceil(capacityBytes / 512) * 512 : capacityBytes;
}

export function diffVolume(
  desired: VolumeSpec,
  actual: ParsedVolume,
  ctx: { backingPath?: string; backingFormat?: string; poolType?: string } = {},
): FieldChange[] {
  const out: FieldChange[] = [];
  const format = effectiveFormat(desired.format, ctx.poolType);
  const want = effectiveCapacity(format, desired.capacityBytes);
  if (actual.capacityBytes < want)
    out.push({ field: "capacity", from: actual.capacityBytes, to: desired.capacityBytes, disruption: "live" });
  else if (actual.capacityBytes > want)
    out.push({
      field: "capacity",
      from: actual.capacityBytes,
      to: desired.capacityBytes,
      disruption: "recreate",
      destructive: true,
    });
  if (format !== null && actual.format !== format)
    out.push({ field: "format", from: actual.format, to: format, disruption: "recreate", destructive: true });

  const fromBacking = actual.backingPath;
  let sameBacking: boolean;
  if (desired.backingVolume === null) sameBacking = fromBacking === null;
  else if (fromBacking === null) sameBacking = false;
  else if (ctx.backingPath !== undefined) sameBacking = fromBacking === ctx.backingPath;
  else sameBacking = basename(fromBacking) === desired.backingVolume;
  if (
    sameBacking &&
    desired.backingVolume !== null &&
    ctx.backingFormat !== undefined &&
    actual.backingFormat !== ctx.backingFormat
  )
    sameBacking = false;
  if (!sameBacking) {
    out.push({
      field: "backingVolume",
      from: fromBacking,
      to: ctx.backingPath ?? desired.backingVolume,
      disruption: "recreate",
      destructive: true,
    });
  }
  return out;
}
