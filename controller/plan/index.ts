export type { PlanJson, HostPlan, HostPlanStatus, PlannedResource } from "./types.js";
export { PlanRequester, DEFAULT_MAX_PLANS_PER_SESSION, type PlanAnswer, type PlanBundle } from "./plan-requester.js";
export { aggregatePlan, type AggregateInput } from "./aggregate.js";
export { aggregateRemoval, heldResources, REMOVAL_REVISION, type RemovalInput } from "./removal.js";
