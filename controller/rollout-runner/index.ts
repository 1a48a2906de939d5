export {
  RolloutRunner,
  RolloutMissingError,
  DEFAULT_ROLLOUT_TICK_MS,
  type RolloutCommand,
  type RolloutRunnerOptions,
  type PlanStageStarter,
  type RunnerRole,
} from "./runner.js";
export { NotLeaderError, hostInputId, parseHostInput, type HostInput } from "./replica-inputs.js";
export {
  planFleet,
  planRemoval,
  DEFAULT_PLAN_TIMEOUT_MS,
  RECONNECT_GRACE_MS,
  type FleetPlanDeps,
} from "./fleet-plan.js";
export { policyOutcome, driftAgainst, unconvergedForRollout } from "./host-signals.js";
export {
  controlRollout,
  isRolloutCommand,
  unknownPolicy,
  ROLLOUT_COMMANDS,
  MAX_ROLLOUT_REASON,
  type RolloutControlDeps,
} from "./control.js";
