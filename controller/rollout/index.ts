/**
 * Staged rollouts of one policy revision: a pure state machine (`step`), its store, and the
 * `rollout status` document (wired into delivery by controller/rollout-runner). Contracts:
 * - stages: 0 = plan (ends on planRecorded/planSkipped), canary, then batches of
 *   batchHostCount() over ALL targets, percentages rounded up, at least 1 (25% of 10 = 3),
 *   hosts in sorted-name order. A stage waits until every host reported the delivered
 *   generation converged (or failed / was skipped), soaks soakMs, then the next starts.
 * - maxFailures counts failed hosts over the whole rollout (minus those accepted by a
 *   resume); exceeding it applies onFailure: pause, or rollback (state failed until every
 *   host that was sent the new revision reports the previous one converged → rolledback).
 * - offline hosts are waited for options.offlineTimeoutMs (default 10 min) after their stage
 *   needed them, then counted per options.offlineHosts (default "failed").
 * - hosts enrolling mid-rollout stay outside the stages and hold goodRevision(): the previous
 *   revision until the rollout succeeded, then the new one (sent on success).
 * - the wiring performs effects in order, sends each host revisionFor() whenever it
 *   delivers, and reports each delivery as `delivered` (bundle generation) so that only
 *   observations of that generation or later count.
 */
export {
  type Rollout,
  type RolloutState,
  type RolloutStage,
  type RolloutHost,
  type RolloutRollback,
  type RolloutEvent,
  type RolloutEffect,
  type RolloutOptions,
  type StageState,
  type StageKind,
  type HostPhase,
  type OfflineOutcome,
  type StepResult,
  DEFAULT_ROLLOUT_OPTIONS,
  POLICY_REMOVED,
} from "./types.js";
export { createRollout, planStages, type NewRollout } from "./create.js";
export { step, stepAll } from "./machine.js";
export {
  revisionFor,
  heldRevisions,
  heldRevision,
  isRemoval,
  goodRevision,
  isActive,
  isRollingBack,
  activeStage,
  failedHosts,
} from "./queries.js";
export { decideOnRevision, decideOnRemoval, type RevisionDecision, type RemovalDecision } from "./decide.js";
export { RolloutStateError, RolloutConflictError } from "./errors.js";
export { RolloutStore, type RolloutSummary } from "./store.js";
export { rolloutStatusJson, type RolloutStatusJson, type RolloutStageJson } from "./status.js";
export { ROLLOUTS_SCHEMA, ROLLOUTS_SCHEMA_PG } from "./schema.js";
