/** One element of `virtfleet drift --json`: owned by the drift mapper, common/wire/drift.ts. */
export type { DriftJson } from "./wire/drift.js";
