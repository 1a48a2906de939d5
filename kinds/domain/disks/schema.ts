import { Type, type Static } from "@sinclair/typebox";
import { choice, list, obj, oneOf, resolvedObject, tpl } from "../../../policy-primitives/schema-builders.js";
import {
  DISK_BUSES,
  DISK_CACHES,
  DISK_DETECT_ZEROES,
  DISK_DISCARDS,
  DISK_IO_MODES,
  DISK_SERIAL_PATTERN,
  FILE_DISK_FORMATS,
} from "./values.js";

/**
 * The disks area of the domain kind: `disks[]` and `cdroms[]` as a policy writes them
 * (DOCUMENT_FIELDS) and as a bundle carries them (SPEC_FIELDS). Contract for additions: a
 * new spec field is optional and left out by the resolver when the policy does not set it,
 * so the spec hash of a guest that does not use it does not change.
 *
 * A disk's source is exactly one of `volume` (pool/volume, `<disk type='volume'>`), `file`
 * (an absolute path, `<disk type='file'>`, format raw or qcow2) or `device` (a block device
 * under /dev, `<disk type='block'>`, always raw); semantics.ts enforces "exactly one".
 */

/** The value sets, as values.ts declares them (the agent face imports them from there). */
export * from "./values.js";

const limit = (what: string) =>
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: `${what}; 0 = no limit.` });

export const IotuneDocumentSchema = obj(
  {
    totalIopsSec: limit("Total I/O operations per second"),
    readIopsSec: limit("Read I/O operations per second"),
    writeIopsSec: limit("Write I/O operations per second"),
    totalBytesSec: limit("Total bytes per second"),
    readBytesSec: limit("Read bytes per second"),
    writeBytesSec: limit("Write bytes per second"),
  },
  [],
  { description: "I/O limits (libvirt <iotune>), applied live on a running guest." },
);

export const DiskDocumentSchema = obj(
  {
    volume: tpl("volumeRef", "pool/volume"),
    file: Type.String({ minLength: 1, maxLength: 4096, description: "An absolute path to an image file." }),
    device: Type.String({ minLength: 1, maxLength: 4096, description: "A block device under /dev." }),
    format: choice(FILE_DISK_FORMATS, {
      description:
        "raw | qcow2, for a file disk (default raw); a device disk is raw. A volume's comes from the volume.",
    }),
    bus: choice(DISK_BUSES, {
      description: "virtio | sata | scsi (on a virtio-scsi controller, added as needed). Default virtio.",
    }),
    cache: choice(DISK_CACHES, { description: "none | writethrough | writeback | directsync | unsafe." }),
    io: choice(DISK_IO_MODES, { description: "native (needs cache none or directsync) | threads | io_uring." }),
    discard: choice(DISK_DISCARDS, { description: "unmap | ignore." }),
    detectZeroes: choice(DISK_DETECT_ZEROES, { description: "off | on | unmap (needs discard: unmap)." }),
    serial: Type.String({
      pattern: `(?:${DISK_SERIAL_PATTERN})|\\$\\{`,
      description: "Serial number the guest sees: letters, digits, _ . + -, at most 20.",
    }),
    readonly: Type.Boolean({ description: "Default false." }),
    shareable: Type.Boolean({ description: "Default false." }),
    bootIndex: Type.Integer({ minimum: 1, maximum: 65535, description: "Boot order (<boot order=N/>)." }),
    iotune: IotuneDocumentSchema,
  },
  [],
  { description: "A disk: exactly one of volume, file or device." },
);
export type DiskDocument = Static<typeof DiskDocumentSchema>;

export const DISKS_DOCUMENT_FIELDS = {
  disks: list(DiskDocumentSchema, "Default []."),
  cdroms: list(
    Type.String({ minLength: 1, maxLength: 4096, description: "pool/volume or an absolute path to an .iso" }),
    "Default [].",
  ),
};

const opt = Type.Optional;
const IotuneSpecSchema = resolvedObject({
  totalIopsSec: opt(Type.Integer({ minimum: 0 })),
  readIopsSec: opt(Type.Integer({ minimum: 0 })),
  writeIopsSec: opt(Type.Integer({ minimum: 0 })),
  totalBytesSec: opt(Type.Integer({ minimum: 0 })),
  readBytesSec: opt(Type.Integer({ minimum: 0 })),
  writeBytesSec: opt(Type.Integer({ minimum: 0 })),
});
export type IotuneSpec = Static<typeof IotuneSpecSchema>;

/** What every disk may carry besides its source; each field present only when the policy sets it. */
const DISK_OPTION_FIELDS = {
  bus: oneOf(DISK_BUSES),
  cache: opt(oneOf(DISK_CACHES)),
  io: opt(oneOf(DISK_IO_MODES)),
  discard: opt(oneOf(DISK_DISCARDS)),
  detectZeroes: opt(oneOf(DISK_DETECT_ZEROES)),
  serial: opt(Type.String()),
  readonly: opt(Type.Boolean()),
  shareable: opt(Type.Boolean()),
  bootIndex: opt(Type.Integer({ minimum: 1 })),
  iotune: opt(IotuneSpecSchema),
};

export const VolumeDiskSpecSchema = resolvedObject({
  pool: Type.String(),
  volume: Type.String(),
  ...DISK_OPTION_FIELDS,
});
export const FileDiskSpecSchema = resolvedObject({
  file: Type.String(),
  format: oneOf(FILE_DISK_FORMATS),
  ...DISK_OPTION_FIELDS,
});
export const DeviceDiskSpecSchema = resolvedObject({ device: Type.String(), ...DISK_OPTION_FIELDS });
export const DiskSpecSchema = Type.Union([VolumeDiskSpecSchema, FileDiskSpecSchema, DeviceDiskSpecSchema]);
export type VolumeDiskSpec = Static<typeof VolumeDiskSpecSchema>;
export type FileDiskSpec = Static<typeof FileDiskSpecSchema>;
export type DeviceDiskSpec = Static<typeof DeviceDiskSpecSchema>;
export type DiskSpec = Static<typeof DiskSpecSchema>;

export const CdromSpecSchema = Type.Union([
  resolvedObject({ pool: Type.String(), volume: Type.String() }),
  resolvedObject({ path: Type.String() }),
]);
export type CdromSpec = Static<typeof CdromSpecSchema>;

export const DISKS_SPEC_FIELDS = {
  disks: Type.Array(DiskSpecSchema),
  cdroms: Type.Array(CdromSpecSchema),
};
