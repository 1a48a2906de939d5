/**
 * The "actual" side of the pool kind: what libvirt's INACTIVE XML says, reduced to the fields a
 * spec can set, in the same units and names as the kind's spec, so a diff is a field-by-field
 * comparison. What libvirt adds on its own is not represented and therefore never counts as drift.
 */

export interface ParsedPool {
  name: string;
  uuid: string | null;
  type: string;
  path: string | null;
}
