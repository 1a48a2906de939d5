import type { UplinkGuard } from "./commit-confirm.js";
import type { PersistTarget } from "./persist/files.js";

/** What host networking runs with besides its spec (ResourceContext.hostNetwork). */
export interface HostNetworkRuntime {
  /** Where the persistent configuration goes; undefined = detected (persist/detect.ts). */
  persist?: PersistTarget;
  /** The connection to protect; absent = none (nothing is protected, e.g. a test without a controller). */
  uplink?: UplinkGuard;
}
