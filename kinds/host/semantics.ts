import type { PathSegment } from "../../policy-primitives/issues.js";
import type { ValueChecker } from "../../policy-primitives/value-checker.js";
import type { HostDocument } from "./spec.js";
import { checkHostNetworkDocument } from "./network/semantics.js";

/** The host prerequisites beyond the schema: `minFreeMemory` is a size; host networking (network/semantics.ts). */
export function checkHostDocument(h: HostDocument, path: PathSegment[], c: ValueChecker): void {
  if (h.minFreeMemory !== undefined) c.size(h.minFreeMemory, [...path, "minFreeMemory"]);
  checkHostNetworkDocument(h, path, c);
}
