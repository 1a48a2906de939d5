import type { PolicyMode, SourceLocation } from "../kinds/resolved-policy.js";
import type { Locator } from "../policy-primitives/issues.js";
import type { PolicyDocument, TargetsDocument, VarValue } from "./schema.js";

/** Rollout settings with defaults applied (canary 1, batch 25%, soak 30s, 0 failures, rollback). */
export interface RolloutSettings {
  canary: number;
  batchSize: { count: number } | { percent: number };
  soakMs: number;
  maxFailures: number;
  onFailure: "rollback" | "pause";
  /** Set only when the policy says so; the rollout engine's defaults apply otherwise (10 min, failed). */
  offlineTimeoutMs?: number;
  offlineHosts?: "failed" | "skipped";
}

export const DEFAULT_ROLLOUT: RolloutSettings = Object.freeze({
  canary: 1,
  batchSize: { percent: 25 },
  soakMs: 30_000,
  maxFailures: 0,
  onFailure: "rollback",
});

/** A policy document that passed validation, before templating for a host. */
export interface LoadedPolicy {
  name: string;
  description: string | null;
  file: string;
  /** Position of the document (its first key). */
  source: SourceLocation;
  /** The validated document as written (templates not expanded, no defaults). */
  document: PolicyDocument;
  /** canonicalHash of `document`: changes exactly when the policy's content changes. */
  revision: string;
  mode: PolicyMode;
  priority: number;
  /** null = every host. */
  targets: TargetsDocument | null;
  vars: Readonly<Record<string, VarValue>>;
  rollout: RolloutSettings;
  /** Source position of any field of this document. */
  locate: Locator;
}

/** How many hosts one rollout batch holds for `targetCount` targeted hosts (at least 1). */
export function batchHostCount(rollout: RolloutSettings, targetCount: number): number {
  const n =
    "count" in rollout.batchSize ? rollout.batchSize.count : Math.ceil((targetCount * rollout.batchSize.percent) / 100);
  return Math.max(1, n);
}
