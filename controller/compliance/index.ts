export { ComplianceService } from "./compliance-service.js";
export { ComplianceReader } from "./compliance-reader.js";
export {
  ComplianceTally,
  COMPLIANCE_STATUSES,
  DEFAULT_TALLY_OPTIONS,
  type TallyOptions,
  type TallySource,
  type TalliedHost,
  type TallyCounts,
  type TallyPolicyCounts,
} from "./compliance-tally.js";
export { touchOnChanges } from "./tally-hooks.js";
export { computeCompliance, hostCompliance, hostStatus, hostSummary } from "./compute.js";
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
export { COMPLIANCE_SCHEMA, COMPLIANCE_SCHEMA_PG } from "./schema.js";
