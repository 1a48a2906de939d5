import { Type, type Static } from "@sinclair/typebox";
import { choice, list, obj, oneOf, resolvedObject, tpl } from "../../../policy-primitives/schema-builders.js";

/**
 * The disks area of the domain kind: `disks[]` and `cdroms[]` as a policy writes them
 * (DOCUMENT_FIELDS) and as a bundle carries them (SPEC_FIELDS). Contract for additions: a
 * new spec field is optional and left out by the resolver when the policy does not set it,
 * so the spec hash of a guest that does not use it does not change.
 */

export const DISK_BUSES = ["virtio", "sata", "scsi"] as const;

export const DiskDocumentSchema = obj(
  {
    volume: tpl("volumeRef", "pool/volume"),
    bus: choice(DISK_BUSES, { description: "virtio | sata | scsi. Default virtio." }),
  },
  ["volume"],
);

export const DISKS_DOCUMENT_FIELDS = {
  disks: list(DiskDocumentSchema, "Default []."),
  cdroms: list(
    Type.String({ minLength: 1, maxLength: 4096, description: "pool/volume or an absolute path to an .iso" }),
    "Default [].",
  ),
};

export const DiskSpecSchema = resolvedObject({ pool: Type.String(), volume: Type.String(), bus: oneOf(DISK_BUSES) });
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
