export { ControllerStore, CONTROLLER_DB_FILE } from "./controller-store.js";
export { HostStore, FACT_HISTORY_KEEP, type HostRow, type FactChangeRow, type HelloRecord } from "./host-store.js";
export { CONTROLLER_MIGRATIONS } from "./migrations.js";
export { changedSections } from "./changed-sections.js";
export { pruneHistory, DEFAULT_RETENTION, type RetentionOptions } from "./retention.js";
