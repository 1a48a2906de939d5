import { resourceId, type ResourceId } from "../../engine/index.js";
import type { VolumeSpec } from "./spec.js";

/**
 * A volume is converged after its pool, for an overlay after its backing volume, and for a
 * clone after the volume it copies (an edge to an undeclared volume only orders nothing).
 */
export function volumeDependencies(v: VolumeSpec): ResourceId[] {
  const deps = [resourceId("pool", v.pool)];
  if (v.backingVolume) deps.push(resourceId("volume", `${v.pool}/${v.backingVolume}`));
  if (v.cloneFrom !== undefined) deps.push(resourceId("volume", `${v.pool}/${v.cloneFrom}`));
  return deps;
}
