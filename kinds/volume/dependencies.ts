import { resourceId, type ResourceId } from "../../engine/index.js";
import type { VolumeSpec } from "./spec.js";

/** A volume is converged after its pool and, for an overlay, after its backing volume. */
export function volumeDependencies(v: VolumeSpec): ResourceId[] {
  const deps = [resourceId("pool", v.pool)];
  if (v.backingVolume) deps.push(resourceId("volume", `${v.pool}/${v.backingVolume}`));
  return deps;
}
