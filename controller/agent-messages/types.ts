import { RESOURCE_OUTCOMES, type ResourceOutcomeName } from "../../common/wire/states.js";
import { KIND_NAMES, type KindName } from "../../kinds/names.js";

/** Resource kinds a report or drift event may name (spec/cli.md `apply --json`): the kinds of kinds/names.ts. */
export const RESOURCE_KINDS = KIND_NAMES;
export type EventResourceKind = KindName;

/** Resource outcomes a report may carry: the CLI contract's names (common/wire/states.ts). */
export const OUTCOMES = RESOURCE_OUTCOMES;
export type Outcome = ResourceOutcomeName;

export const TRIGGERS = ["bundle", "event", "resync", "startup"] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const DRIFT_SOURCES = ["event", "resync", "apply"] as const;
export type DriftSource = (typeof DRIFT_SOURCES)[number];

export const REMEDIATIONS = ["repaired", "reported", "failed", "suppressed"] as const;
export type Remediation = (typeof REMEDIATIONS)[number];

export const CLASSIFICATIONS = ["corrective", "intentional"] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export interface ValidOutcome {
  kind: EventResourceKind;
  name: string;
  policy: string;
  outcome: Outcome;
  /** FieldChange[] as JSON text (validated to be an array). */
  changesJson: string;
  error: string;
  pendingRestart: boolean;
}

export interface ValidReport {
  eventSeq: number;
  generation: number;
  bundleRevision: string;
  trigger: Trigger;
  startedAt: number;
  durationMs: number;
  dryRun: boolean;
  resources: ValidOutcome[];
}

/** One drift field with its values (common/wire/drift.ts owns the shape). */
export type { DriftFieldValue } from "../../common/wire/drift.js";
import type { DriftFieldValue } from "../../common/wire/drift.js";

/**
 * A drift event's latest state as stored and shown. Times are ms since the epoch. The
 * controller's narrowing of common/wire/drift.ts DriftState (kinds, sources, … checked).
 */
export interface DriftView {
  id: string;
  host: string;
  eventSeq: number;
  policy: string;
  kind: EventResourceKind;
  name: string;
  fields: DriftFieldValue[];
  detectedAt: number;
  source: DriftSource;
  remediation: Remediation;
  resolvedAt: number | null;
  classification: Classification;
  detail: string;
}

export type ValidDrift = Omit<DriftView, "host">;

/** One validated agent event, in the order the agent sent it. */
export type AgentEvent =
  | { type: "report"; eventSeq: number; report: ValidReport }
  | { type: "drift"; eventSeq: number; drift: ValidDrift };
