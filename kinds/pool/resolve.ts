import type { PoolDocument, PoolSourceSpec, PoolSpec } from "./spec.js";
import { POOL_TYPE_INFO } from "./types.js";

/** The resolved path of a pool declared absent without one (absolute and normalised, never used). */
export const ABSENT_POOL_PATH = "/dev/null";

/**
 * One pool after templating → its resolved spec. Defaults: type dir, autostart false, state
 * active; per type (types.ts) the target path (disk /dev, iscsi /dev/disk/by-path), the
 * source format and the iSCSI port. The source keeps only the fields the type takes (the
 * semantics check has rejected others). A pool with `state: absent` needs only its name: a
 * required path left out resolves to ABSENT_POOL_PATH, which its removal never reads.
 */
export function resolvePool(p: PoolDocument): PoolSpec {
  const type = p.type ?? "dir";
  const info = POOL_TYPE_INFO[type];
  const path =
    info.path === "none" ? null : (p.path ?? (info.path === "default" ? info.defaultPath! : ABSENT_POOL_PATH));
  const out: PoolSpec = { name: p.name, type, path, autostart: p.autostart ?? false, state: p.state ?? "active" };
  if (info.allowedSource.length > 0) {
    const given = (p.source ?? {}) as Record<string, unknown>;
    const source: Record<string, unknown> = {};
    for (const f of info.allowedSource) if (given[f] !== undefined) source[f] = given[f];
    if (info.formats !== null && info.defaultFormat !== null) source.format ??= info.defaultFormat;
    if (info.defaultPort !== null && source.host !== undefined) source.port ??= info.defaultPort;
    out.source = source as PoolSourceSpec;
  }
  if (p.build === true) out.build = true;
  if (p.overwrite === true) out.overwrite = true;
  if (p.adopt === true) out.adopt = true;
  return out;
}
