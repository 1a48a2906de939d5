import type { PoolDocument, PoolSpec } from "./spec.js";

/** One pool after templating → its resolved spec. Defaults: type dir, autostart false, state active. */
export function resolvePool(p: PoolDocument): PoolSpec {
  return {
    name: p.name,
    type: p.type ?? "dir",
    path: p.path,
    autostart: p.autostart ?? false,
    ...(p.adopt === true ? { adopt: true as const } : {}),
    state: p.state ?? "active",
  };
}
