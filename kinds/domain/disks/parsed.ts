/** The disks area of a ParsedDomain (see ../parsed.ts). */

export interface ParsedDisk {
  /** Target device libvirt addresses the disk by (`vda`, `sdb`). */
  target: string;
  bus: string;
  /** Set for `type='volume'` disks. */
  pool: string | null;
  volume: string | null;
  /** Set for `type='file'` / `type='block'` disks. */
  path: string | null;
  /** `<driver type=…>`, null when absent. */
  format: string | null;
}

export interface ParsedDisks {
  /** Disks with device `disk`, in document order. */
  disks: ParsedDisk[];
  /** Disks with device `cdrom`, in document order. */
  cdroms: ParsedDisk[];
}
