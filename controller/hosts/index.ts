/**
 * The hosts the controller knows (tables hosts, fact_history; docs/design/tables.md): their
 * connections, liveness and facts (HostStore), and the columns that their reports set
 * (HostObservations, written by controller/ingest).
 */
export { HostStore, FACT_HISTORY_KEEP, type HostRow, type FactChangeRow, type HelloRecord } from "./host-store.js";
export {
  HostObservations,
  type HostObservedState,
  type LastEventSeqOptions,
  type ObservedRow,
} from "./observations.js";
export { HostRecordConflictError } from "./errors.js";
export { changedSections } from "./changed-sections.js";
export { HOSTS_SCHEMA, HOSTS_SCHEMA_PG } from "./schema.js";
export { HostConditions, hostState, type HostLiveState } from "./host-state.js";
