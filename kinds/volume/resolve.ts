import { parseSize } from "../../common/units.js";
import type { VolumeDocument, VolumeSpec } from "./spec.js";

/**
 * One volume after templating → its resolved spec. Defaults: state present; a format left
 * out resolves to null (the pool type's default, pool-formats.ts: qcow2 in file pools);
 * sha256 lower-case; allocation and cloneFrom only when declared. A volume with `state: absent` needs only its pool and name: a capacity
 * left out resolves to the placeholder 0, which its removal never reads.
 */
export function resolveVolume(v: VolumeDocument): VolumeSpec {
  return {
    name: v.name,
    pool: v.pool,
    format: v.format ?? null,
    capacityBytes: v.capacity === undefined ? 0 : parseSize(v.capacity),
    ...(v.allocation === undefined ? {} : { allocationBytes: parseSize(v.allocation) }),
    ...(v.cloneFrom === undefined ? {} : { cloneFrom: v.cloneFrom }),
    backingVolume: v.backingVolume ?? null,
    source: v.source ? { url: v.source.url, sha256: v.source.sha256.toLowerCase() } : null,
    ...(v.adopt === true ? { adopt: true as const } : {}),
    state: v.state ?? "present",
  };
}
