import { readdir } from "node:fs/promises";
import type { FieldChange } from "../../common/changes.js";
import { RefusedChangeError } from "../../engine/index.js";
import type { Hypervisor, PoolRef } from "../../libvirt/index.js";
import type { ParsedPool } from "./parsed.js";

/**
 * The pool changes refused as `blocked` (thrown from checkApply in dry-run and apply alike,
 * before anything is touched; see engine/refusal.ts). A pool's volumes are files in its
 * directory, so:
 * - a `recreate` change (a different `path` or `type`, or UUID) of a pool that holds volumes
 *   would strand them: the pool would be redefined elsewhere and its volumes looked for (and
 *   recreated empty) there. Refused. An empty pool is redefined;
 * - removing (`state: absent`) a pool that still holds volumes the policies do not remove
 *   would leave them unmanaged. Refused.
 * "Holds volumes": libvirt lists volumes in it (active pool) or its directory has files (an
 * inactive pool, or files libvirt has not listed yet).
 */
export async function refuseStrandingRedefine(
  hv: Hypervisor,
  ref: PoolRef,
  actual: ParsedPool,
  config: readonly FieldChange[],
): Promise<void> {
  const recreate = config.filter((c) => c.disruption === "recreate");
  if (recreate.length === 0) return;
  const held = await heldVolumes(hv, ref, actual.path);
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
  path: string | null,
  beingRemoved: ReadonlySet<string>,
  changes: FieldChange[],
): Promise<void> {
  const left = (await heldVolumes(hv, ref, path)).filter((n) => !beingRemoved.has(n));
  if (left.length === 0) return;
  throw new RefusedChangeError(
    "blocked",
    `pool/${name}: state → absent would strand its ${count(left)} (${list(left)}); ` +
      "declare those volumes with state: absent (or move them) first",
    changes,
  );
}

/** Names of the volumes the pool holds: libvirt's list (when active) and the files of its directory. */
async function heldVolumes(hv: Hypervisor, ref: PoolRef, path: string | null): Promise<string[]> {
  const names = new Set<string>();
  if (await hv.poolIsActive(ref)) for (const v of await hv.volumes(ref)) names.add(v.name);
  if (path !== null) for (const f of await filesIn(path)) names.add(f);
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
