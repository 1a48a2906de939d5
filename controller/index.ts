export { Controller, ControllerStartError, DEFAULT_LISTEN, DEFAULT_CONTROLLER_DATA_DIR, type ControllerOptions } from "./controller.js";
export { DEFAULT_AGENT_SERVICE_OPTIONS, type AgentServiceOptions } from "./agents/index.js";
export { DEFAULT_POLICIES_DIR, PoliciesDirError } from "./policies/index.js";
