import { matchesPattern } from "../../../policy-primitives/names.js";
import type { SpecChecker } from "../../spec-checker.js";
import type { DomainSpec } from "../spec.js";

/** The agent's re-check of a resolved domain's metadata: label keys as inventory label keys. */
export function checkMetadataSpec(c: SpecChecker, d: DomainSpec): void {
  for (const k of Object.keys(d.labels ?? {}))
    if (!matchesPattern("labelKey", k)) c.add("labels", `invalid key ${JSON.stringify(k.slice(0, 64))}: a label key`);
}
