export {
  Planner,
  DEFAULT_MAX_QUEUED_PLANS,
  DEFAULT_MAX_PLAN_RESULT_BYTES,
  type PlannerOptions,
  type PlanRecord,
} from "./planner.js";
