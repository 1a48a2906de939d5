export {
  Enforcer,
  DEFAULT_COALESCE_MS,
  type EnforcerOptions,
  type EnforcerStore,
  type RunSummary,
  type SetBundleResult,
} from "./enforcer.js";
export { parseBundle, BundleError, type Bundle, type WireBundle } from "./bundle.js";
export { checkResolvedPolicy } from "../../kinds/bundled-policy-check.js";
export {
  DriftTracker,
  fieldsOf,
  type DriftRecord,
  type DriftRunContext,
  type Remediation,
  type Classification,
} from "./drift.js";
export { FlapGuard, DEFAULT_FLAP, type FlapOptions, type FlapSnapshot } from "./flap-guard.js";
export { Coalescer } from "./coalescer.js";
export { PendingRun, type TriggerName, type DriftSource, type Target } from "./triggers.js";
export { eventTargets } from "./event-targets.js";
export {
  AutostartWatcher,
  DEFAULT_AUTOSTART_DIRS,
  DEFAULT_CONFIG_DIRS,
  DEFAULT_WATCHED_DIRS,
  type AutostartDir,
} from "./autostart-watch.js";
export {
  resyncCronPattern,
  scheduleResync,
  DEFAULT_RESYNC_INTERVAL_MS,
  DEFAULT_RESYNC_JITTER_MS,
} from "./resync-schedule.js";
export { OutcomeBook, outcomeOf, type ReportRecord, type OutcomeRecord } from "./report.js";
