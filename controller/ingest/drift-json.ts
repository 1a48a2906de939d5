import { driftStateToJson, type DriftJson } from "../../common/wire/index.js";
import type { DriftView } from "../agent-messages/index.js";

export type { DriftJson };

/** `drift --json`'s element for a stored drift (webhook payloads): common/wire/drift.ts, the one drift mapper. */
export function driftToJson(d: DriftView): DriftJson {
  return driftStateToJson(d);
}
