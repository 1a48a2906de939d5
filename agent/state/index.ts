export { AgentStore, AGENT_DB_FILE, AGENT_MIGRATIONS } from "./agent-store.js";
