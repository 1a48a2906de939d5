import { identityKey } from "../../policy-primitives/identity.js";
import type { ListPolicyKind } from "../policy-kind.js";
import { resolveDomain } from "./resolve.js";
import { checkDomainDocuments } from "./semantics.js";
import type { DomainDocument, DomainSpec } from "./spec.js";

/** The domain kind's policy face: identity `domain/NAME`. */
export const domainPolicyKind: ListPolicyKind<DomainDocument, DomainSpec, "domains"> = {
  kind: "domain",
  key: "domains",
  many: true,
  resolve: resolveDomain,
  claims: (x) => [{ identity: identityKey("domain", x.name), kind: "domain", name: x.name, path: ["name"] }],
  checkDocuments: checkDomainDocuments,
};
