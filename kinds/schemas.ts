import { type TSchema, Type } from "@sinclair/typebox";
import { nullable, oneOf } from "../policy-primitives/schema-builders.js";
import { DomainDocumentSchema, DomainSpecSchema } from "./domain/spec.js";
import { HostDocumentSchema, HostPrereqSpecSchema } from "./host/spec.js";
import type { KindName } from "./names.js";
import { NetworkDocumentSchema, NetworkSpecSchema } from "./network/spec.js";
import { POLICY_KINDS } from "./policy-kinds.js";
import { PoolDocumentSchema, PoolSpecSchema } from "./pool/spec.js";
import { POLICY_MODES } from "./resolved-policy.js";
import { VolumeDocumentSchema, VolumeSpecSchema } from "./volume/spec.js";

/**
 * Every kind's two TypeBox schemas (from its `spec.ts`): what a policy document may write
 * (closed objects) and what a bundle carries once resolved (open objects). Read only where a
 * schema is needed — the published policy schema (policy-language/schema.ts) and the generated
 * validators (policy-language/render-validators.ts) — so that no process that only resolves or
 * runs policies loads TypeBox.
 */
export const KIND_SCHEMAS = {
  host: { document: HostDocumentSchema, spec: HostPrereqSpecSchema },
  network: { document: NetworkDocumentSchema, spec: NetworkSpecSchema },
  pool: { document: PoolDocumentSchema, spec: PoolSpecSchema },
  volume: { document: VolumeDocumentSchema, spec: VolumeSpecSchema },
  domain: { document: DomainDocumentSchema, spec: DomainSpecSchema },
} as const satisfies { readonly [K in KindName]: { document: TSchema; spec: TSchema } };

/** `spec.resources` resolved: one entry per kind under its key, in the registry's order. */
export const ResourcesSpecSchema = Type.Object(
  Object.fromEntries(
    POLICY_KINDS.map((k) => {
      const spec = KIND_SCHEMAS[k.kind].spec;
      return [k.key, k.many ? Type.Array(spec) : nullable(spec)];
    }),
  ),
);

/**
 * What an agent accepts as a bundle's resolved policy (the generated validator in
 * generated/validators/ is compiled from it): the name, the mode and every resource spec
 * must have the right shape; the rest of the envelope (description, priority, source,
 * locations) is the controller's and not read by the agent.
 */
export const BundledPolicySchema = Type.Object({
  name: Type.String(),
  mode: oneOf(POLICY_MODES),
  resources: ResourcesSpecSchema,
});
