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
} from "./types.js";
export { createRollout, planStages, type NewRollout } from "./create.js";
export { step, stepAll } from "./machine.js";
export { revisionFor, heldRevisions, goodRevision, isActive, isRollingBack, activeStage, failedHosts } from "./queries.js";
export { RolloutStateError, RolloutConflictError } from "./errors.js";
export { RolloutStore, type RolloutSummary } from "./store.js";
export { rolloutStatusJson, type RolloutStatusJson, type RolloutStageJson } from "./status.js";
