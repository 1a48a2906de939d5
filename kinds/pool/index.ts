/**
 * The pool kind's agent face: its resolved spec type, XML build/parse/diff, the resource's
 * checkApply, and the events that concern it. Its policy face is `policy.ts`.
 */
export type { PoolSpec } from "./spec.js";
export type { ParsedPool } from "./parsed.js";
export { checkPoolSpec } from "./check.js";
export { buildPoolXml } from "./xml-build.js";
export { parsePoolXml } from "./xml-parse.js";
export { diffPool } from "./xml-diff.js";
export { PoolResource } from "./resource.js";
export { POOL_AUTOSTART_DIR, POOL_CONFIG_DIR, poolOfEvent } from "./events.js";
