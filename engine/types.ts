/**
 * The engine's contract with resources (DESIGN.md pattern 1): one interface, and dry-run
 * and apply share one code path — a resource reads actual state, compares, returns the
 * differences when `apply` is false, and mutates then returns what it changed when true.
 */
/**
 * A resource's kind (`domain`, `network`, …). The engine is kind-agnostic: the kinds and
 * their list live in kinds/ (kinds/names.ts), which builds on the engine, not the reverse.
 */
export type ResourceKind = string;

/** `kind/name`; volumes are named `pool/volume`, so their id is `volume/pool/volume`. */
export type ResourceId = string;

export type { Disruption, FieldChange } from "../common/changes.js";
import type { FieldChange } from "../common/changes.js";
import type { ResourceOutcomeName } from "../common/wire/states.js";

export interface CheckResult {
  /** Empty = in sync. With apply, the changes made; without, the differences found. */
  changes: FieldChange[];
  /** Definition changed but the running guest keeps the old config until it restarts. */
  pendingRestart?: boolean;
  /** Human notes worth showing (e.g. "restart skipped: restartOnChange is false"). */
  notes?: string[];
}

export interface Resource {
  readonly kind: ResourceKind;
  /** Identity within its kind on a host. */
  readonly name: string;
  /** Resources that must be converged first (for `absent` resources the engine reverses the edge when both sides are absent). */
  readonly dependsOn: readonly ResourceId[];
  /** True when this resource's desired state is its removal. */
  readonly removing: boolean;
  /** The policy that declared it (for reports). */
  readonly policy: string;
  /** Audit mode: only ever checked, never changed (its differences are reported as drift). */
  readonly audit?: boolean;
  checkApply(signal: AbortSignal, apply: boolean): Promise<CheckResult>;
}

/** A resource's outcome: the CLI contract's names (common/wire/states.ts). */
export type Outcome = ResourceOutcomeName;

/** One resource's result, in the `apply --json` shape of spec/cli.md. */
export interface ResourceReport {
  kind: ResourceKind;
  name: string;
  policy: string;
  outcome: Outcome;
  changes: FieldChange[];
  error?: string;
  pendingRestart?: boolean;
  notes?: string[];
  attempts: number;
  durationMs: number;
}

export interface EngineReport {
  dryRun: boolean;
  summary: Record<Outcome, number>;
  resources: ResourceReport[];
  durationMs: number;
}

export function resourceId(kind: ResourceKind, name: string): ResourceId {
  return `${kind}/${name}`;
}
