/** Disk specs shared by the disks tests (unit and integration). */
import type { VolumeDiskSpec } from "../../../kinds/domain/disks/schema.js";

type DiskOptions = Pick<
  VolumeDiskSpec,
  "cache" | "io" | "discard" | "detectZeroes" | "serial" | "readonly" | "shareable" | "bootIndex" | "iotune"
>;

/**
 * Every option a volume disk can carry, each set (the root disk of the disks tests): a disk
 * written with them reads back with the same values.
 */
export function rootDiskOptions(serial: string): DiskOptions {
  return {
    cache: "none",
    io: "native",
    discard: "unmap",
    detectZeroes: "unmap",
    serial,
    readonly: false,
    shareable: false,
    bootIndex: 1,
    iotune: { totalIopsSec: 2000, totalBytesSec: 104857600 },
  };
}
