/**
 * What agents send on their stream, checked: the validation of every AgentMessage body
 * (envelope, Hello, facts, Report, DriftEvent, PlanResult), the bounds on them, and the
 * validated forms the rest of the controller works with. Depends on nothing in the
 * controller: the stream (controller/agents), ingestion (controller/ingest) and the fleet
 * plan (controller/plan) all build on it.
 */
export {
  validateEnvelope,
  validateHello,
  validateFactsJson,
  validateFingerprint,
  validatePlanResult,
  degradedReasonOf,
  type ValidHello,
  type PlanOutcome,
  type ValidPlanResult,
} from "./validate-message.js";
export {
  validateAgentEvent,
  validateReport,
  validateDrift,
  validateOutcome,
  EVENT_LIMITS,
  MAX_REPORT_DURATION_MS,
  MAX_TIMESTAMP_MS,
  MAX_JSON_DEPTH,
} from "./validate-event.js";
export * from "./types.js";
