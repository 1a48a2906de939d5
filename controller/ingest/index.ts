export { Ingestor, DEFAULT_INGEST_OPTIONS, type IngestOptions, type ChangesSink } from "./ingestor.js";
export { EventStore, bundlePolicies, type HostEvents, type StoredChanges, type DriftChange, type ResourceFailure, type DriftQuery } from "./event-store.js";
export { DriftFeed, type DriftListener } from "./drift-feed.js";
export { validateAgentEvent, validateReport, validateDrift, validateOutcome, EVENT_LIMITS, MAX_REPORT_DURATION_MS } from "./validate-event.js";
export { driftToJson, type DriftJson } from "./drift-json.js";
export * from "./types.js";
