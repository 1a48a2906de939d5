/**
 * Host networking (bridges, bonds, VLANs), the host kind's sub-module: its agent face.
 * Files, one job each: spec.ts (schema fragment + resolved types), resolve.ts, rules.ts +
 * semantics.ts + check.ts (value rules), claims.ts + merge.ts (several policies), ip.ts
 * (iproute2 argv, no shell), links.ts (`ip -json` reader), ownership.ts (the marker),
 * planner.ts (desired vs actual → argv with undo), steps.ts (run/undo), uplink.ts (what
 * carries the controller connection), commit-confirm.ts, persist/ (networkd and ifupdown
 * files: render, detect, diff, write), resource.ts (checkApply).
 */
export type { BondSpec, BridgeSpec, HostNetworkSpec, VlanSpec } from "./spec.js";
export { HostNetworkResource, REAL_HOST_NETWORK, type HostNetworkEnv } from "./resource.js";
export type { HostNetworkRuntime } from "./runtime.js";
export { DEFAULT_CONFIRM_TIMEOUT_MS, UplinkRestoredError, type UplinkGuard } from "./commit-confirm.js";
export { realIp, IpCommandError, type IpCommand } from "./ip.js";
export { readLinks, parseLinks, type Link } from "./links.js";
export { planHostNetwork, type NetworkPlan, type Step } from "./planner.js";
export { routeDevice, uplinkClosure } from "./uplink.js";
export { detectPersistTarget } from "./persist/detect.js";
export type { PersistTarget } from "./persist/files.js";
export { MissingDriverError } from "./steps.js";
