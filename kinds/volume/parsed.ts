/**
 * The "actual" side of the volume kind: what libvirt's INACTIVE XML says, reduced to the fields a
 * spec can set, in the same units and names as the kind's spec, so a diff is a field-by-field
 * comparison. What libvirt adds on its own is not represented and therefore never counts as drift.
 */

export interface ParsedVolume {
  name: string;
  /** Target path (the pool's file), null when absent. */
  path: string | null;
  capacityBytes: number;
  format: string | null;
  backingPath: string | null;
  backingFormat: string | null;
}
