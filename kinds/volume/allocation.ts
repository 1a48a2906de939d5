/**
 * How `allocation` becomes a libvirt volume create (measured on libvirt 9.0 in a dir pool):
 * - raw: libvirt allocates exactly `<allocation>` bytes (0 = a sparse file); without the
 *   element it allocates the whole capacity;
 * - qcow2: `<allocation>` alone changes nothing (qemu-img creates a sparse image); with the
 *   flag VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA libvirt runs qemu-img with
 *   preallocation=metadata when allocation < capacity and preallocation=falloc when
 *   allocation = capacity. So an allocation above 0 sets the flag; 0 does not.
 * Allocation is a creation-time choice: it is never compared afterwards (a volume's
 * allocation changes as the guest writes), so it never shows as drift.
 */

/** virStorageVolCreateFlags: VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA. */
export const VOL_CREATE_PREALLOC_METADATA = 1;

/** The virStorageVolCreateFlags for a new volume of `format` with `allocationBytes` (undefined: not declared). */
export function volumeCreateFlags(format: string | null, allocationBytes: number | undefined): number {
  return format === "qcow2" && allocationBytes !== undefined && allocationBytes > 0 ? VOL_CREATE_PREALLOC_METADATA : 0;
}
