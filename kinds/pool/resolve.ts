import type { PoolDocument, PoolSpec } from "./spec.js";

/** The resolved path of a pool declared absent without one (absolute and normalised, never used). */
export const ABSENT_POOL_PATH = "/dev/null";

/**
 * One pool after templating → its resolved spec. Defaults: type dir, autostart false, state
 * active. A pool with `state: absent` needs only its name: a path left out resolves to the
 * placeholder ABSENT_POOL_PATH, which its removal never reads (it reads libvirt's definition).
 */
export function resolvePool(p: PoolDocument): PoolSpec {
  return {
    name: p.name,
    type: p.type ?? "dir",
    path: p.path ?? ABSENT_POOL_PATH,
    autostart: p.autostart ?? false,
    ...(p.adopt === true ? { adopt: true as const } : {}),
    state: p.state ?? "active",
  };
}
