/**
 * The disks area's diff. Matching: disks by the target name the builder assigns
 * (target-names.ts); cdroms by position in target order (they share the `sd` names with
 * sata/scsi disks, whose addition or removal shifts them).
 *
 * Disruption on a running guest, field by field:
 * - `disks[i]` added or `disks[target]` removed: `live` for a virtio disk of any source
 *   (volume, file, device: hot-plug and unplug), and for a scsi disk when the definition
 *   already has the virtio-scsi controller (hot-plug on it; not when the new disk's target
 *   is a cdrom's, whose names shift at redefinition); `restart` for sata (no AHCI hot-plug)
 *   and for a first scsi disk (its controller comes with the restart). A guest still running
 *   from an older definition without the controller (pending restart) would get libvirt's
 *   default controller for a hot-plugged scsi disk until it restarts.
 * - `disks[i]` (source: pool/volume, file or device; format; bus): `restart`.
 * - `disks[i].iotune`: `live` (virDomainSetBlockIoTune, live.ts). Limits of 0 and absent
 *   ones are the same (no limit); libvirt's other iotune limits are not compared.
 * - `disks[i].cache`, `.io`, `.discard`, `.detectZeroes`, `.serial`, `.readonly`,
 *   `.shareable`, `.bootIndex`: `restart`. An option the spec leaves out must be absent
 *   from the XML (libvirt writes none of them on its own), readonly/shareable false ≡ absent.
 * - `disks.scsiController`: `restart`, when the spec has scsi disks and libvirt's scsi
 *   controller 0 is another model than virtio-scsi (a guest whose scsi disks got libvirt's
 *   default LSI controller); libvirt's other controllers are never compared.
 * - cdroms: a changed medium is `live` (update-device); adding or removing one `restart`.
 */
import type { AddChange } from "../area.js";
import type { PoolVolumeKey, VolumeRef } from "../parsed.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedDisk, ParsedDisks } from "./parsed.js";
import type { CdromSpec, DiskSpec, IotuneSpec } from "./schema.js";
import { IOTUNE_KEYS } from "./values.js";
import { diskSource, isDeviceDisk, isFileDisk, isVolumeDisk } from "./sources.js";
import { targetNames } from "./target-names.js";
import { SCSI_CONTROLLER_MODEL } from "./xml-build.js";

export function diffDisksArea(
  desired: DomainSpec,
  actual: ParsedDisks,
  diskPaths: Map<PoolVolumeKey, VolumeRef> | undefined,
  add: AddChange,
): void {
  diffDisks(desired.disks, targetNames(desired).disks, actual, diskPaths, add);
  diffScsiController(desired.disks, actual, add);
  diffCdroms(desired.cdroms, actual.cdroms, add);
}

function diffDisks(
  want: DiskSpec[],
  targets: string[],
  actual: ParsedDisks,
  diskPaths: Map<PoolVolumeKey, VolumeRef> | undefined,
  add: AddChange,
): void {
  const have = actual.disks;
  const byTarget = new Map(have.map((d) => [d.target, d]));
  const scsiHotplug = actual.scsiControllers.some((c) => c.index === 0 && c.model === SCSI_CONTROLLER_MODEL);
  const cdromTargets = new Set(actual.cdroms.map((c) => c.target));
  const hotplug = (bus: string, target: string) =>
    bus === "virtio" || (bus === "scsi" && scsiHotplug && !cdromTargets.has(target));
  want.forEach((d, i) => {
    const got = byTarget.get(targets[i]!);
    const to = { ...diskSource(d), bus: d.bus };
    if (got === undefined) return add(`disks[${i}]`, null, to, hotplug(d.bus, targets[i]!) ? "live" : "restart");
    if (!sameSource(d, got, diskPaths) || got.bus !== d.bus) add(`disks[${i}]`, describeDisk(got), to, "restart");
    diffOptions(d, got, `disks[${i}]`, add);
  });
  const wanted = new Set(targets);
  for (const got of have) {
    if (!wanted.has(got.target))
      add(`disks[${got.target}]`, describeDisk(got), null, hotplug(got.bus, "") ? "live" : "restart");
  }
}

/** Same source and format: a volume disk also matches a file disk at the volume's path (diskPaths). */
function sameSource(d: DiskSpec, got: ParsedDisk, diskPaths: Map<PoolVolumeKey, VolumeRef> | undefined): boolean {
  if (isVolumeDisk(d)) {
    const ref = diskPaths?.get(`${d.pool}/${d.volume}`);
    const sameVolume =
      (got.pool === d.pool && got.volume === d.volume) ||
      (got.path !== null && ref !== undefined && got.path === ref.path);
    return sameVolume && (ref === undefined || got.format === null || got.format === ref.format);
  }
  if (isFileDisk(d)) return got.type === "file" && got.path === d.file && (got.format ?? "raw") === d.format;
  if (isDeviceDisk(d)) return got.type === "block" && got.path === d.device && (got.format ?? "raw") === "raw";
  return false;
}

const RESTART_OPTIONS = ["cache", "io", "discard", "detectZeroes", "serial"] as const;

function diffOptions(d: DiskSpec, got: ParsedDisk, field: string, add: AddChange): void {
  for (const k of RESTART_OPTIONS) {
    const want = d[k] ?? null;
    if (got[k] !== want) add(`${field}.${k}`, got[k], want, "restart");
  }
  for (const k of ["readonly", "shareable"] as const) {
    const want = d[k] ?? false;
    if (got[k] !== want) add(`${field}.${k}`, got[k], want, "restart");
  }
  const boot = d.bootIndex ?? null;
  if (got.bootIndex !== boot) add(`${field}.bootIndex`, got.bootIndex, boot, "restart");
  const wantIotune = canonicalIotune(d.iotune);
  const haveIotune = canonicalIotune(got.iotune);
  if (JSON.stringify(wantIotune) !== JSON.stringify(haveIotune)) add(`${field}.iotune`, haveIotune, wantIotune, "live");
}

/** The limits above 0, in IOTUNE_KEYS order ({} = no limits). */
export function canonicalIotune(t: IotuneSpec | undefined): IotuneSpec {
  const out: IotuneSpec = {};
  for (const k of IOTUNE_KEYS) {
    const v = t?.[k];
    if (v !== undefined && v > 0) out[k] = v;
  }
  return out;
}

function diffScsiController(want: DiskSpec[], actual: ParsedDisks, add: AddChange): void {
  if (!want.some((d) => d.bus === "scsi")) return;
  const first = actual.scsiControllers.find((c) => c.index === 0);
  if (first !== undefined && first.model !== SCSI_CONTROLLER_MODEL)
    add("disks.scsiController", first.model, SCSI_CONTROLLER_MODEL, "restart");
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
    if (!same) add(`cdroms[${i}]`, describeCdrom(got), to, "live");
  });
  for (const got of sorted.slice(want.length)) add(`cdroms[${got.target}]`, describeCdrom(got), null, "restart");
}

/** An actual disk as shown in changes: `{pool, volume}`, `{file, format}` or `{device}`, then bus. */
function describeDisk(d: ParsedDisk): Record<string, string> {
  const out: Record<string, string> =
    d.pool !== null || d.volume !== null
      ? { pool: d.pool ?? "", volume: d.volume ?? "" }
      : d.type === "file" && d.format !== null
        ? { file: d.path ?? "", format: d.format }
        : d.type === "block"
          ? { device: d.path ?? "" }
          : { path: d.path ?? "" };
  if (d.bus) out.bus = d.bus;
  return out;
}

/** A cdrom as shown in changes: `{pool, volume}` or `{path}`, then bus. */
function describeCdrom(d: ParsedDisk): Record<string, string> {
  const out: Record<string, string> =
    d.pool !== null || d.volume !== null ? { pool: d.pool ?? "", volume: d.volume ?? "" } : { path: d.path ?? "" };
  if (d.bus) out.bus = d.bus;
  return out;
}
