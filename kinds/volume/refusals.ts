import type { FieldChange } from "../../common/changes.js";
import { formatBytes } from "../../common/units.js";
import { RefusedChangeError } from "../../engine/index.js";

/**
 * The volume changes refused as `blocked` (thrown from checkApply in dry-run and apply alike,
 * before anything is touched; see engine/refusal.ts): every change xml-diff.ts marks
 * `destructive` — a capacity shrink (the guest's file system would be cut), a format change
 * or a different backing volume (the content would be lost). A capacity grow is applied live.
 */
export function refuseDestructive(name: string, changes: readonly FieldChange[]): void {
  const destructive = changes.filter((c) => c.destructive);
  if (destructive.length === 0) return;
  const what = destructive.map((c) => `${c.field} ${shown(c.from)} → ${shown(c.to)}`).join(", ");
  throw new RefusedChangeError(
    "blocked",
    `volume/${name}: ${what} would destroy its data; keep the volume's current ${destructive.map((c) => c.field).join(" and ")}, ` +
      "or declare a new volume and copy the data into it; to recreate this one empty on purpose, set state: absent, apply, then declare it again",
    [...changes],
  );
}

function shown(v: unknown): string {
  if (v === null || v === undefined) return "∅";
  if (typeof v === "number") return formatBytes(v);
  return String(v);
}

/**
 * A capacity grow in a pool whose backend cannot resize a volume (pool-formats.ts: disk
 * partitions): refused as `blocked` before anything is touched, in dry-run and apply alike.
 */
export function refuseUnresizable(name: string, poolType: string, changes: readonly FieldChange[]): void {
  const grow = changes.find((c) => c.field === "capacity");
  if (!grow) return;
  throw new RefusedChangeError(
    "blocked",
    `volume/${name}: capacity ${shown(grow.from)} → ${shown(grow.to)} cannot be applied: libvirt cannot resize a volume in a pool of type ${poolType}; ` +
      "keep the current capacity, or declare a new, larger volume and copy the data into it",
    [...changes],
  );
}
