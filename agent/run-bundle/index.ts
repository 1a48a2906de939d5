/**
 * One way to run a bundle (DESIGN.md pattern 1): `prepareBundle` turns resolved policies into
 * resources once per bundle; `runBundle` runs them through the engine for the enforcer, the
 * planner (fleet dry-run) and `virtfleet apply --local` alike, and decides there what may
 * change (dry-run, audit, held) and what is retried.
 */
export {
  prepareBundle,
  type PreparedBundle,
  type PrepareOptions,
  type ResourceBuilder,
  type ResourceTarget,
} from "./prepare.js";
export {
  runBundle,
  type BundleRun,
  type EngineTuning,
  type RunBundleOptions,
  type RunHost,
} from "./run.js";
export {
  checkOnlyReason,
  isTransientFor,
  type CheckOnlyReason,
  type RunMode,
  type RunOrigin,
} from "./decisions.js";
