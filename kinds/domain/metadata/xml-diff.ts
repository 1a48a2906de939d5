/** The metadata area's diff: the description when the spec manages it (`live`: set-metadata). */
import type { AddChange } from "../area.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedMetadata } from "./parsed.js";

export function diffMetadata(desired: DomainSpec, actual: ParsedMetadata, add: AddChange): void {
  if (desired.description !== undefined && (actual.description ?? "") !== desired.description)
    add("description", actual.description, desired.description, "live");
}
