/** The `plan --json` document's types: owned by the wire contract, common/wire/admin-documents.ts. */
export type { HostPlanStatus, PlannedResource, HostPlan, PlanJson } from "../../common/wire/admin-documents.js";
