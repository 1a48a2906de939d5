/**
 * A disk's source, whichever of volume / file / device the spec names: the narrowing
 * helpers the rest of the domain kind uses (dependencies, references, volume lookup, the
 * cloud-init seed's pool) so that only volume disks are treated as pool/volume references.
 */
import type { DeviceDiskSpec, DiskSpec, FileDiskSpec, VolumeDiskSpec } from "./schema.js";

export function isVolumeDisk(d: DiskSpec): d is VolumeDiskSpec {
  return "pool" in d && "volume" in d;
}

export function isFileDisk(d: DiskSpec): d is FileDiskSpec {
  return "file" in d;
}

export function isDeviceDisk(d: DiskSpec): d is DeviceDiskSpec {
  return "device" in d;
}

/** The volume disks of a spec, each with its index in `disks[]`. */
export function volumeDisks(spec: { disks: readonly DiskSpec[] }): { index: number; disk: VolumeDiskSpec }[] {
  return spec.disks.flatMap((disk, index) => (isVolumeDisk(disk) ? [{ index, disk }] : []));
}

/** The disk's source as shown in changes: `{pool, volume}`, `{file, format}` or `{device}`. */
export function diskSource(d: DiskSpec): Record<string, string> {
  if (isVolumeDisk(d)) return { pool: d.pool, volume: d.volume };
  if (isFileDisk(d)) return { file: d.file, format: d.format };
  return { device: (d as DeviceDiskSpec).device };
}
