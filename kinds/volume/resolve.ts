import { parseSize } from "../../common/units.js";
import type { VolumeDocument, VolumeSpec } from "./spec.js";

/**
 * One volume after templating → its resolved spec. Defaults: format qcow2, state present;
 * sha256 lower-case. A volume with `state: absent` needs only its pool and name: a capacity
 * left out resolves to the placeholder 0, which its removal never reads.
 */
export function resolveVolume(v: VolumeDocument): VolumeSpec {
  return {
    name: v.name,
    pool: v.pool,
    format: v.format ?? "qcow2",
    capacityBytes: v.capacity === undefined ? 0 : parseSize(v.capacity),
    backingVolume: v.backingVolume ?? null,
    source: v.source ? { url: v.source.url, sha256: v.source.sha256.toLowerCase() } : null,
    ...(v.adopt === true ? { adopt: true as const } : {}),
    state: v.state ?? "present",
  };
}
