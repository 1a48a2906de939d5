import { type Static, Type } from "@sinclair/typebox";
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

export const VOLUME_FORMATS = ["qcow2", "raw"] as const;
export const VOLUME_STATES = ["present", "absent"] as const;

/** One entry of `spec.resources.volumes` as a policy document writes it. */
export const VolumeDocumentSchema = obj(
  {
    name: tpl("volumeName", "letters, digits, '_', '.', '+' and '-', at most 255 characters, never '..'"),
    pool: tpl("resourceName", "the name of a pool"),
    format: choice(VOLUME_FORMATS, { description: "qcow2 | raw. Default qcow2." }),
    capacity: size("Virtual size (required unless state is absent)."),
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
  format: oneOf(VOLUME_FORMATS),
  capacityBytes: Type.Integer({ minimum: 0 }),
  /** A volume in the same pool this one is a copy-on-write overlay of. */
  backingVolume: nullable(Type.String()),
  /** Import the content from `url` (file://, http://, https://), then verify sha256 (hex). */
  source: nullable(resolvedObject({ url: Type.String(), sha256: Type.String() })),
  /** Present (true) only when the policy says adopt: true (kinds/ownership). */
  adopt: Type.Optional(Type.Boolean()),
  state: oneOf(VOLUME_STATES),
});
export type VolumeSpec = Static<typeof VolumeSpecSchema>;
