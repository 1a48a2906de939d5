export { adminHandlers, DEFAULT_HISTORY_LIMIT } from "./admin-service.js";
export { toHostRecord } from "./host-record.js";
