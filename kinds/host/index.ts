/**
 * The host kind's agent face: its resolved spec type, the resource's checkApply and the
 * host environment it reads and repairs (modules, sysctl, /dev/kvm). Its policy face is `policy.ts`.
 */
export type { HostPrereqSpec } from "./spec.js";
export { checkHostSpec } from "./check.js";
export { HostResource, PreconditionError } from "./resource.js";
export { mergeHostPrereqs, type HostContribution, type MergedHostPrereqs } from "./merge.js";
export { REAL_HOST, type HostEnvironment } from "./environment.js";
export * from "./network/index.js";
