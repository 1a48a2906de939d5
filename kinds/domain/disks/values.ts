/**
 * The disks area's closed value sets and the iotune field names, free of the schema library
 * so the agent's XML build/parse/diff can use them (schema.ts declares the fields with them).
 */

export const DISK_BUSES = ["virtio", "sata", "scsi"] as const;
export const DISK_CACHES = ["none", "writethrough", "writeback", "directsync", "unsafe"] as const;
export const DISK_IO_MODES = ["native", "threads", "io_uring"] as const;
export const DISK_DISCARDS = ["unmap", "ignore"] as const;
export const DISK_DETECT_ZEROES = ["off", "on", "unmap"] as const;
export const FILE_DISK_FORMATS = ["raw", "qcow2"] as const;

/** The `iotune` limits, spec name → libvirt `<iotune>` element (and virDomainSetBlockIoTune parameter). */
export const IOTUNE_FIELDS = {
  totalIopsSec: "total_iops_sec",
  readIopsSec: "read_iops_sec",
  writeIopsSec: "write_iops_sec",
  totalBytesSec: "total_bytes_sec",
  readBytesSec: "read_bytes_sec",
  writeBytesSec: "write_bytes_sec",
} as const;
export type IotuneField = keyof typeof IOTUNE_FIELDS;
export const IOTUNE_KEYS = Object.keys(IOTUNE_FIELDS) as IotuneField[];

/** Disk serial as libvirt accepts it; at most 20 characters (what a virtio-blk serial holds). */
export const DISK_SERIAL_PATTERN = "^[A-Za-z0-9_.+-]{1,20}$";
