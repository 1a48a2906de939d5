export {
  Agent,
  DEFAULT_AGENT_STATE_DIR,
  DEFAULT_FACTS_INTERVAL_MS,
  DEFAULT_LINK_BACKOFF,
  DEFAULT_RESYNC_INTERVAL_MS,
  DEFAULT_FLAP,
  defaultAgentName,
  type AgentOptions,
} from "./agent.js";
export {
  Enforcer,
  parseBundle,
  resyncCronPattern,
  type EnforcerOptions,
  type RunSummary,
  type DriftRecord,
  type ReportRecord,
} from "./enforce/index.js";
export { ControllerLink, transition, type LinkState, type LinkStatus } from "./link/index.js";
export { collectFacts, factsFingerprint } from "./facts/index.js";
export { Planner, type PlannerOptions, type PlanRecord } from "./plan/index.js";
