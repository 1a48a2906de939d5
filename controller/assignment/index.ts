export { BundleService, type PolicySetSource, type RevisionSelector, type BundleMessage } from "./bundle-service.js";
export { HostBundleStore, type HostBundle } from "./bundle-store.js";
export { BundleComputer, computeBundle, type ComputedBundle } from "./bundle.js";
