/**
 * Fleet plans (dry-runs): asking agents (PlanRequester), routing each target's request to the
 * controller replica holding its stream (PlanRouter, through `plan_requests`: schema step 13,
 * owned here), and aggregating the answers into a plan (aggregatePlan, aggregateRemoval).
 */
export type { PlanJson, HostPlan, HostPlanStatus, PlannedResource } from "./types.js";
export { PlanRequester, DEFAULT_MAX_PLANS_PER_SESSION, type PlanAnswer, type PlanBundle } from "./plan-requester.js";
export { aggregatePlan, type AggregateInput } from "./aggregate.js";
export { aggregateRemoval, heldResources, REMOVAL_REVISION, type RemovalInput } from "./removal.js";
export {
  PlanRouter,
  REMOTE_PLAN_POLL_MS,
  STALE_PLAN_REQUEST_MS,
  type HostPlanner,
  type PlanRouterOptions,
  type PlanRouterReplicas,
} from "./plan-router.js";
export { PlanRequestStore, type StoredPlanRequest } from "./plan-request-store.js";
export { parseStoredAnswer, StoredPlanError } from "./stored-plan.js";
export { PLANS_SCHEMA, PLANS_SCHEMA_PG } from "./schema.js";
