import type { PathSegment } from "../../policy-primitives/issues.js";
import type { PolicyReferences, ValueChecker } from "../../policy-primitives/value-checker.js";
import { checkCloudInitDocument } from "../cloud-init-seed/semantics.js";
import { checkCpuMemoryDocument } from "./cpu-memory/semantics.js";
import { checkDevicesDocument } from "./devices/semantics.js";
import { checkDisksDocument } from "./disks/semantics.js";
import { checkFirmwareDocument } from "./firmware/semantics.js";
import { checkMetadataDocument } from "./metadata/semantics.js";
import { checkNicsDocument } from "./nics/semantics.js";
import type { DomainDocument } from "./spec.js";

/**
 * The domains of one policy beyond the schema: names unique, then each area's rules
 * (cpu-memory, firmware, disks, nics, cloud-init). References may name objects of other policies or
 * that already exist on the host; only a reference to something this policy declares absent
 * (`refs`, filled by the kinds checked before) is an error.
 */
export function checkDomainDocuments(
  domains: readonly DomainDocument[],
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const seen = new Map<string, number>();
  domains.forEach((d, i) => {
    const at = [...path, i];
    const name = c.format(d.name, [...at, "name"], "resourceName");
    if (name !== undefined) c.declaredOnce(seen, name, [...at, "name"], "domain", i);
    checkMetadataDocument(d, at, c);
    checkCpuMemoryDocument(d, at, c);
    c.format(d.machine, [...at, "machine"], "machine");
    checkFirmwareDocument(d, at, c);
    checkDisksDocument(d, at, c, refs);
    checkNicsDocument(d, i, at, c, refs);
    checkCloudInitDocument(d.cloudInit, [...at, "cloudInit"], c);
    checkDevicesDocument(d, at, c);
  });
}
