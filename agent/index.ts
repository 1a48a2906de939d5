export { Agent, DEFAULT_AGENT_STATE_DIR, DEFAULT_FACTS_INTERVAL_MS, DEFAULT_LINK_BACKOFF, defaultAgentName, type AgentOptions } from "./agent.js";
export { ControllerLink, transition, type LinkState, type LinkStatus } from "./link/index.js";
export { collectFacts, factsFingerprint } from "./facts/index.js";
