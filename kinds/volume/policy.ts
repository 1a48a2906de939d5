import { identityKey } from "../../policy-primitives/identity.js";
import type { ListPolicyKind } from "../policy-kind.js";
import { resolveVolume } from "./resolve.js";
import { checkVolumeDocuments } from "./semantics.js";
import type { VolumeDocument, VolumeSpec } from "./spec.js";

/** The volume kind's policy face: identity `volume/POOL/NAME`. */
export const volumePolicyKind: ListPolicyKind<VolumeDocument, VolumeSpec, "volumes"> = {
  kind: "volume",
  key: "volumes",
  many: true,
  resolve: resolveVolume,
  claims: (v) => [
    { identity: identityKey("volume", v.name, v.pool), kind: "volume", name: `${v.pool}/${v.name}`, path: ["name"] },
  ],
  checkDocuments: checkVolumeDocuments,
};
