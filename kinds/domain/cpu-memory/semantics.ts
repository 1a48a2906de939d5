import type { PathSegment } from "../../../policy-primitives/issues.js";
import type { ValueChecker } from "../../../policy-primitives/value-checker.js";
import type { DomainDocument } from "../spec.js";

/** A domain's CPU and memory beyond the schema: memory at least 1 MiB, a whole number of KiB. */
export function checkCpuMemoryDocument(d: DomainDocument, path: PathSegment[], c: ValueChecker): void {
  const mem = c.size(d.memory, [...path, "memory"]);
  if (mem !== undefined && (mem < 1024 ** 2 || mem % 1024 !== 0))
    c.issues.add([...path, "memory"], "must be at least 1MiB and a whole number of KiB");
}
