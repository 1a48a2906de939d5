export type { PlanJson, HostPlan, HostPlanStatus, PlannedResource } from "./types.js";
