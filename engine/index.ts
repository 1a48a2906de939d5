export {
  converge,
  DEFAULT_ENGINE_OPTIONS,
  NotConvergedError,
  ResourceTimeoutError,
  type EngineOptions,
  type EngineEvent,
} from "./converge.js";
export { RefusedChangeError } from "./refusal.js";
export { buildGraph, type ExecutionGraph } from "./graph.js";
export {
  resourceId,
  type CheckResult,
  type Disruption,
  type EngineReport,
  type FieldChange,
  type Outcome,
  type Resource,
  type ResourceId,
  type ResourceKind,
  type ResourceReport,
} from "./types.js";
export { CheckOnly } from "./check-only.js";
export { WrappedResource } from "./wrapped-resource.js";
