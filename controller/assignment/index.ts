export { BundleService, type PolicySetSource } from "./bundle-service.js";
export { HostBundleStore, type HostBundle } from "./bundle-store.js";
export { computeBundle, type ComputedBundle } from "./bundle.js";
