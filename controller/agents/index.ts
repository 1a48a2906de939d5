export {
  AgentService,
  DEFAULT_AGENT_SERVICE_OPTIONS,
  MAX_QUEUED_HELLOS,
  RECONNECT_MIN_MS,
  STORE_FAILURE_RETRY_MIN_MS,
  STORE_FAILURE_RETRY_JITTER_MS,
  storeFailureRetryAfterMs,
  RECONNECT_SPREAD_PER_AGENT_MS,
  RECONNECT_SPREAD_MAX_MS,
  reconnectDelayMs,
  reconnectSpreadMs,
  type AgentServiceOptions,
  type AgentStreamHooks,
  type StreamIdentity,
  type ConnectCall,
} from "./agent-service.js";
export { AgentSession } from "./agent-session.js";
export { sendResync, StreamRelay, type StreamRelayOptions } from "./stream-relay.js";
