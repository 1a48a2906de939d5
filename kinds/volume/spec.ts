import { type Static, Type } from "@sinclair/typebox";
import { VOLUME_FORMATS } from "./pool-formats.js";
import {
  choice,
  nullable,
  obj,
  oneOf,
  requiredUnlessAbsent,
  resolvedObject,
  size,
  tpl,
} from "../../policy-primitives/schema-builders.js";

/** The volume kind: a volume in a storage pool (`spec.resources.volumes[]`), identity `volume/POOL/NAME`. */

export const VOLUME_STATES = ["present", "absent"] as const;

/** One entry of `spec.resources.volumes` as a policy document writes it. */
export const VolumeDocumentSchema = obj(
  {
    name: tpl("volumeName", "letters, digits, '_', '.', '+' and '-', at most 255 characters, never '..'"),
    pool: tpl("resourceName", "the name of a pool"),
    format: choice(VOLUME_FORMATS, {
      description:
        "What the pool type supports (kinds/volume/pool-formats.ts): dir/fs/netfs raw | qcow2 | qed | vmdk | vpc | vdi (default qcow2); disk: a partition type none | linux | fat16 | fat32 | linux-swap | linux-lvm | linux-raid | extended; rbd: raw; logical: none may be given. A format the pool type does not support is an error.",
    }),
    capacity: size("Virtual size (required unless state is absent). Grows live; a shrink is refused."),
    allocation: size(
      "Space allocated at creation, 0 (sparse) … capacity (preallocated); only at creation, never compared afterwards (a volume's allocation grows as it is written). qcow2: above 0 preallocates the metadata, equal to capacity preallocates everything. Not in disk pools (a partition is always allocated) or rbd pools (always thin).",
    ),
    cloneFrom: Type.String({
      minLength: 1,
      maxLength: 600,
      description:
        "The name of a volume in the same pool (a volume name, not pool/name): this one is created as a full copy of it (libvirt vol-create-from); excludes source and backingVolume; only at creation.",
    }),
    backingVolume: tpl(
      "volumeName",
      "a volume in the same pool: this one becomes a copy-on-write overlay of it (qcow2 only)",
    ),
    source: obj(
      {
        url: tpl("url", "a file://, http:// or https:// URL"),
        sha256: tpl("sha256", "64 hexadecimal digits"),
      },
      ["url", "sha256"],
      { description: "Import the content from url, then verify its sha256." },
    ),
    adopt: Type.Boolean({
      description:
        "Take over an existing object of this name that virtfleet did not create (no ownership record/marker). Without it such an object is reported conflict and left alone. Default false.",
    }),
    state: choice(VOLUME_STATES, { description: "present | absent. Default present." }),
  },
  ["name", "pool"],
  { description: "A volume in a storage pool; identity is (pool, name).", ...requiredUnlessAbsent(["capacity"]) },
);
export type VolumeDocument = Static<typeof VolumeDocumentSchema>;

/** A resolved volume: capacity in bytes, sha256 lower-case. */
export const VolumeSpecSchema = resolvedObject({
  name: Type.String(),
  pool: Type.String(),
  /** null: not declared, the pool type's default (pool-formats.ts: qcow2 in file pools, no format elsewhere). */
  format: nullable(oneOf(VOLUME_FORMATS)),
  capacityBytes: Type.Integer({ minimum: 0 }),
  /** Bytes to allocate at creation (0 sparse … capacity preallocated); absent: the backend's default (sparse). */
  allocationBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  /** A volume in the same pool this one is created as a copy of (only at creation). */
  cloneFrom: Type.Optional(Type.String()),
  /** A volume in the same pool this one is a copy-on-write overlay of. */
  backingVolume: nullable(Type.String()),
  /** Import the content from `url` (file://, http://, https://), then verify sha256 (hex). */
  source: nullable(resolvedObject({ url: Type.String(), sha256: Type.String() })),
  /** Present (true) only when the policy says adopt: true (kinds/ownership). */
  adopt: Type.Optional(Type.Boolean()),
  state: oneOf(VOLUME_STATES),
});
export type VolumeSpec = Static<typeof VolumeSpecSchema>;
