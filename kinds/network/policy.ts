import { identityKey } from "../../policy-primitives/identity.js";
import type { ListPolicyKind } from "../policy-kind.js";
import { resolveNetwork } from "./resolve.js";
import { checkNetworkDocuments } from "./semantics.js";
import type { NetworkDocument, NetworkSpec } from "./spec.js";

/** The network kind's policy face: identity `network/NAME`. */
export const networkPolicyKind: ListPolicyKind<NetworkDocument, NetworkSpec, "networks"> = {
  kind: "network",
  key: "networks",
  many: true,
  resolve: resolveNetwork,
  claims: (x) => [{ identity: identityKey("network", x.name), kind: "network", name: x.name, path: ["name"] }],
  checkDocuments: checkNetworkDocuments,
};
