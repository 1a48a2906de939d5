import { readdir } from "node:fs/promises";
import type { FieldChange } from "../../common/changes.js";
import { RefusedChangeError } from "../../engine/index.js";
import type { Hypervisor, PoolRef } from "../../libvirt/index.js";
import type { ParsedPool } from "./parsed.js";
import { isPoolType, POOL_TYPE_INFO } from "./types.js";

/**
 * The pool changes refused as `blocked` (thrown from checkApply in dry-run and apply alike,
 * before anything is touched; see engine/refusal.ts):
 * - a `recreate` change (a different `path`, `type`, source device/host/export/VG/target/Ceph
 *   pool, or UUID; types.ts) of a pool that holds volumes would strand them: the pool would be
 *   redefined elsewhere and its volumes looked for (and recreated empty) there. Refused. An
 *   empty pool is redefined;
 * - removing (`state: absent`) a pool that still holds volumes the policies do not remove
 *   would leave them unmanaged. Refused.
 * "Holds volumes": libvirt lists volumes in it (active pool), or — for types whose target is a
 * directory of their own (dir, fs, netfs) — that directory has files (an inactive pool, or
 * files libvirt has not listed yet). For device pools (disk, logical, iscsi, rbd) it is
 * libvirt's volume list only (their target, e.g. /dev, is shared).
 */
export async function refuseStrandingRedefine(
  hv: Hypervisor,
  ref: PoolRef,
  actual: ParsedPool,
  config: readonly FieldChange[],
): Promise<void> {
  const recreate = config.filter((c) => c.disruption === "recreate");
  if (recreate.length === 0) return;
  const held = await heldVolumes(hv, ref, actual.type, ownDirectory(actual.type, actual.path));
  if (held.length === 0) return;
  const what = recreate.map((c) => `${c.field} ${shown(c.from)} → ${shown(c.to)}`).join(", ");
  const keep = recreate.map((c) => `${c.field} ${shown(c.from)}`).join(", ");
  throw new RefusedChangeError(
    "blocked",
    `pool/${actual.name}: ${what} would strand its ${count(held)} (${list(held)}); ` +
      `keep ${keep}, or declare a new pool for the new location and move the volumes to it, ` +
      "or remove the volumes first (state: absent)",
    [...config],
  );
}

/** Refuses removing a pool that still holds volumes other than `beingRemoved`. */
export async function refuseStrandingRemoval(
  hv: Hypervisor,
  ref: PoolRef,
  name: string,
  type: string,
  path: string | null,
  beingRemoved: ReadonlySet<string>,
  changes: FieldChange[],
): Promise<void> {
  const left = (await heldVolumes(hv, ref, type, path)).filter((n) => !beingRemoved.has(n));
  if (left.length === 0) return;
  throw new RefusedChangeError(
    "blocked",
    `pool/${name}: state → absent would strand its ${count(left)} (${list(left)}); ` +
      "declare those volumes with state: absent (or move them) first",
    changes,
  );
}

/** The pool's own directory (dir, fs, netfs: its target path), or null. */
export function ownDirectory(type: string, path: string | null): string | null {
  return isPoolType(type) && POOL_TYPE_INFO[type].pathIsExclusive ? path : null;
}

/**
 * Names of the volumes the pool holds: libvirt's list (when active) and the files of its own
 * directory. An fs pool's `lost+found` (mkfs makes it; libvirt lists it as a volume) is the file
 * system's, not a volume.
 */
async function heldVolumes(hv: Hypervisor, ref: PoolRef, type: string, path: string | null): Promise<string[]> {
  const names = new Set<string>();
  if (await hv.poolIsActive(ref)) for (const v of await hv.volumes(ref)) names.add(v.name);
  if (path !== null) for (const f of await filesIn(path)) names.add(f);
  if (type === "fs") names.delete("lost+found");
  return [...names].sort();
}

async function filesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => !e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR")
      return [];
    throw err;
  }
}

const count = (names: readonly string[]) => `${names.length} volume${names.length === 1 ? "" : "s"}`;

function list(names: readonly string[]): string {
  return names.length > 5 ? `${names.slice(0, 5).join(", ")}, …` : names.join(", ");
}

function shown(v: unknown): string {
  return v === null || v === undefined ? "∅" : String(v);
}
