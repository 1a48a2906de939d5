export { Ingestor, DEFAULT_INGEST_OPTIONS, type IngestOptions, type ChangesSink } from "./ingestor.js";
export { EventStore, bundlePolicies, type HostEvents, type StoredChanges, type DriftChange, type ResourceFailure, type DriftQuery } from "./event-store.js";
export { DriftFeed, type DriftListener } from "./drift-feed.js";
export { driftToJson, type DriftJson } from "./drift-json.js";
