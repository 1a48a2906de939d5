import { type Static, Type } from "@sinclair/typebox";
import {
  choice,
  obj,
  oneOf,
  requiredUnlessAbsent,
  resolvedObject,
  resourceNameField,
} from "../../policy-primitives/schema-builders.js";

/** The pool kind: a libvirt storage pool (`spec.resources.pools[]`), identity `pool/NAME`. */

export const POOL_TYPES = ["dir"] as const;
export const POOL_STATES = ["active", "inactive", "absent"] as const;

/** One entry of `spec.resources.pools` as a policy document writes it. */
export const PoolDocumentSchema = obj(
  {
    name: resourceNameField(),
    type: Type.Literal("dir", { description: "dir (the only type in v1). Default dir." }),
    path: Type.String({
      minLength: 1,
      maxLength: 4096,
      description: "Absolute, normalised directory path (no ..). Required unless state is absent.",
    }),
    autostart: Type.Boolean({ description: "Default false." }),
    adopt: Type.Boolean({
      description:
        "Take over an existing object of this name that virtfleet did not create (no ownership record/marker). Without it such an object is reported conflict and left alone. Default false.",
    }),
    state: choice(POOL_STATES, { description: "active | inactive | absent. Default active." }),
  },
  ["name"],
  { description: "A libvirt storage pool.", ...requiredUnlessAbsent(["path"]) },
);
export type PoolDocument = Static<typeof PoolDocumentSchema>;

/** A resolved pool. */
export const PoolSpecSchema = resolvedObject({
  name: Type.String(),
  type: oneOf(POOL_TYPES),
  /** Absolute, normalised path. */
  path: Type.String(),
  autostart: Type.Boolean(),
  /** Present (true) only when the policy says adopt: true (kinds/ownership). */
  adopt: Type.Optional(Type.Boolean()),
  state: oneOf(POOL_STATES),
});
export type PoolSpec = Static<typeof PoolSpecSchema>;
