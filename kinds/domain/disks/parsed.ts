/** The disks area of a ParsedDomain (see ../parsed.ts). */
import type { IotuneSpec } from "./schema.js";

export interface ParsedDisk {
  /** Target device libvirt addresses the disk by (`vda`, `sdb`). */
  target: string;
  bus: string;
  /** `<disk type=…>`: `volume`, `file`, `block`, …. */
  type: string;
  /** Set for `type='volume'` disks. */
  pool: string | null;
  volume: string | null;
  /** Set for `type='file'` / `type='block'` disks. */
  path: string | null;
  /** `<driver type=…>`, null when absent. */
  format: string | null;
  /** `<driver>` attributes, null when absent. */
  cache: string | null;
  io: string | null;
  discard: string | null;
  detectZeroes: string | null;
  /** `<serial>`, null when absent. */
  serial: string | null;
  readonly: boolean;
  shareable: boolean;
  /** `<boot order=N/>`, null when absent. */
  bootIndex: number | null;
  /** The `<iotune>` limits the spec can set, only those above 0. */
  iotune: IotuneSpec;
}

export interface ParsedDisks {
  /** Disks with device `disk`, in document order. */
  disks: ParsedDisk[];
  /** Disks with device `cdrom`, in document order. */
  cdroms: ParsedDisk[];
  /** `<controller type='scsi'>` models by index (null: no model attribute). */
  scsiControllers: { index: number; model: string | null }[];
}
