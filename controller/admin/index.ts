export { adminHandlers, DEFAULT_HISTORY_LIMIT } from "./admin-service.js";
export { toHostRecord } from "./host-record.js";
export { DriftAdmin, toDriftRecord, DEFAULT_DRIFT_LIMIT, MAX_DRIFT_LIMIT, type DriftAdminDeps } from "./drift-handlers.js";
export { type HostResolution } from "./host-record.js";
