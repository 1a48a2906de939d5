import type { ResourcesSpecOf } from "./policy-kinds.js";
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

/** `spec.resources` resolved: one entry per kind (its schema: kinds/schemas.ts ResourcesSpecSchema). */
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
