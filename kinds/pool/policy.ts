import { identityKey } from "../../policy-primitives/identity.js";
import type { ListPolicyKind } from "../policy-kind.js";
import { resolvePool } from "./resolve.js";
import { checkPoolDocuments } from "./semantics.js";
import type { PoolDocument, PoolSpec } from "./spec.js";

/** The pool kind's policy face: identity `pool/NAME`. */
export const poolPolicyKind: ListPolicyKind<PoolDocument, PoolSpec, "pools"> = {
  kind: "pool",
  key: "pools",
  many: true,
  resolve: resolvePool,
  claims: (x) => [{ identity: identityKey("pool", x.name), kind: "pool", name: x.name, path: ["name"] }],
  checkDocuments: checkPoolDocuments,
};
