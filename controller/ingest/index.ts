export {
  Ingestor,
  DEFAULT_INGEST_OPTIONS,
  type IngestOptions,
  type ChangesSink,
  type IngestBatch,
  type BatchListener,
} from "./ingestor.js";
export {
  EventStore,
  type HostEvents,
  type StoredChanges,
  type DriftChange,
  type ResourceFailure,
  type DriftQuery,
} from "./event-store.js";
export { ReportedState, type ResourceStatusRow, type ResourceOutcomeRow, type OpenDriftRow } from "./reported-state.js";
export { DriftFeed, FEED_REMEMBERED_IDS, type DriftListener, type StoredDrift } from "./drift-feed.js";
export { DriftRelay, DEFAULT_RESYNC_SLACK_MS, RESYNC_PAGE, type DriftRelayOptions } from "./drift-relay.js";
export { signalIngest, signalled } from "./ingest-signals.js";
export { driftToJson, type DriftJson } from "./drift-json.js";
export { INGEST_SCHEMA, INGEST_SCHEMA_PG } from "./schema.js";
export { pruneHistory, DEFAULT_RETENTION, type RetentionOptions } from "./retention.js";
