export { BundleService, type PolicySetSource, type RevisionSelector, type BundleMessage } from "./bundle-service.js";
export {
  HostBundleStore,
  BundleContentError,
  bundlePolicies,
  type HostBundle,
  type BundleHeadView,
} from "./bundle-store.js";
export { BundleComputer, computeBundle, type ComputedBundle } from "./bundle.js";
export { BUNDLES_SCHEMA, BUNDLES_SCHEMA_PG } from "./schema.js";
