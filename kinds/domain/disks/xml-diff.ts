/**
 * The disks area's diff. Matching: disks by the target name the builder assigns
 * (target-names.ts); cdroms by position in target order (they share the `sd` names with
 * sata/scsi disks, whose addition or removal shifts them). Disruption on a running guest:
 * attaching or detaching a virtio disk and changing a cdrom's medium are `live`; a changed
 * disk source/bus/format, adding or removing a sata/scsi disk or a cdrom (no hot-plug on
 * AHCI) are `restart`.
 */
import type { AddChange } from "../area.js";
import type { PoolVolumeKey, VolumeRef } from "../parsed.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedDisk, ParsedDisks } from "./parsed.js";
import type { CdromSpec, DiskSpec } from "./schema.js";
import { targetNames } from "./target-names.js";

export function diffDisksArea(
  desired: DomainSpec,
  actual: ParsedDisks,
  diskPaths: Map<PoolVolumeKey, VolumeRef> | undefined,
  add: AddChange,
): void {
  diffDisks(desired.disks, targetNames(desired).disks, actual.disks, diskPaths, add);
  diffCdroms(desired.cdroms, actual.cdroms, add);
}

function diffDisks(
  want: DiskSpec[],
  targets: string[],
  have: ParsedDisk[],
  diskPaths: Map<PoolVolumeKey, VolumeRef> | undefined,
  add: AddChange,
): void {
  const byTarget = new Map(have.map((d) => [d.target, d]));
  want.forEach((d, i) => {
    const got = byTarget.get(targets[i]!);
    const to = { pool: d.pool, volume: d.volume, bus: d.bus };
    if (got === undefined) return add(`disks[${i}]`, null, to, d.bus === "virtio" ? "live" : "restart");
    const ref = diskPaths?.get(`${d.pool}/${d.volume}`);
    const sameSource =
      (got.pool === d.pool && got.volume === d.volume) ||
      (got.path !== null && ref !== undefined && got.path === ref.path);
    const sameFormat = ref === undefined || got.format === null || got.format === ref.format;
    if (!sameSource || got.bus !== d.bus || !sameFormat) add(`disks[${i}]`, describeDisk(got), to, "restart");
  });
  const wanted = new Set(targets);
  for (const got of have) {
    if (!wanted.has(got.target))
      add(`disks[${got.target}]`, describeDisk(got), null, got.bus === "virtio" ? "live" : "restart");
  }
}

function diffCdroms(want: CdromSpec[], have: ParsedDisk[], add: AddChange): void {
  const sorted = [...have].sort(
    (a, b) => a.target.length - b.target.length || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0),
  );
  want.forEach((c, i) => {
    const got = sorted[i];
    const to = "path" in c ? { path: c.path } : { pool: c.pool, volume: c.volume };
    if (got === undefined) return add(`cdroms[${i}]`, null, to, "restart");
    const same =
      "path" in c ? got.path === c.path && got.pool === null : got.pool === c.pool && got.volume === c.volume;
    if (!same) add(`cdroms[${i}]`, describeDisk(got), to, "live");
  });
  for (const got of sorted.slice(want.length)) add(`cdroms[${got.target}]`, describeDisk(got), null, "restart");
}

function describeDisk(d: ParsedDisk): Record<string, string> {
  const out: Record<string, string> =
    d.pool !== null || d.volume !== null ? { pool: d.pool ?? "", volume: d.volume ?? "" } : { path: d.path ?? "" };
  if (d.bus) out.bus = d.bus;
  return out;
}
