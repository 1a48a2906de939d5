import { Type } from "@sinclair/typebox";
import { nullable, oneOf } from "../policy-primitives/schema-builders.js";
import { POLICY_KINDS, type ResourcesSpecOf } from "./policy-kinds.js";
import type { SourceLocation } from "../policy-primitives/issues.js";

/**
 * Resolved desired state for one host: what a policy says after templating, defaults and
 * unit parsing (sizes in bytes, every MAC pinned). The policy loader produces these; the
 * agent's resources consume them; a bundle carries one per policy as JSON (`resolvedJson`).
 * Each kind's part is its `spec.ts`; this file assembles them. Names here are already
 * validated (no `/`, no `..`, no control characters) by the loader.
 */

export type PolicyMode = "enforce" | "audit";
export const POLICY_MODES = ["enforce", "audit"] as const satisfies readonly PolicyMode[];

/** `spec.resources` resolved: one entry per kind, derived from the kinds' registry (policy-kinds.ts). */
export const ResourcesSpecSchema = Type.Object(
  Object.fromEntries(POLICY_KINDS.map((k) => [k.key, k.many ? Type.Array(k.specSchema) : nullable(k.specSchema)])),
);
export type ResourcesSpec = ResourcesSpecOf;

export type { SourceLocation };

export interface ResolvedPolicy {
  name: string;
  description: string | null;
  mode: PolicyMode;
  priority: number;
  /** Location of the policy document (its `kind:` line). */
  source: SourceLocation;
  resources: ResourcesSpec;
}

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
