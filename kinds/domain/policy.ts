import { identityKey } from "../../policy-primitives/identity.js";
import type { ListPolicyKind } from "../policy-kind.js";
import { resolveDomain } from "./resolve.js";
import { checkDomainDocuments } from "./semantics.js";
import { type DomainDocument, DomainDocumentSchema, type DomainSpec, DomainSpecSchema } from "./spec.js";

/** The domain kind's policy face: identity `domain/NAME`. */
export const domainPolicyKind: ListPolicyKind<DomainDocument, DomainSpec, "domains"> = {
  kind: "domain",
  key: "domains",
  many: true,
  documentSchema: DomainDocumentSchema,
  specSchema: DomainSpecSchema,
  resolve: resolveDomain,
  claims: (x) => [{ identity: identityKey("domain", x.name), kind: "domain", name: x.name, path: ["name"] }],
  checkDocuments: checkDomainDocuments,
};
