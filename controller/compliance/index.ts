export { ComplianceService } from "./compliance-service.js";
export { ComplianceReader } from "./compliance-reader.js";
export { computeCompliance, hostCompliance, hostSummary } from "./compute.js";
export {
  SnapshotStore,
  scheduleSnapshots,
  parseSnapshotCron,
  DEFAULT_SNAPSHOT_CRON,
  SNAPSHOTS_KEEP,
  MAX_TREND_POINTS,
  type StoredSnapshot,
  type FleetTrendPoint,
} from "./snapshots.js";
export type * from "./types.js";
export { COMPLIANCE_SCHEMA } from "./schema.js";
