import type { PathSegment } from "../../../policy-primitives/issues.js";
import { checkAbsolutePath, matchesPattern } from "../../../policy-primitives/names.js";
import { absentOf, type PolicyReferences, type ValueChecker } from "../../../policy-primitives/value-checker.js";
import type { DomainDocument } from "../spec.js";

/**
 * A domain's disks and cdroms beyond the schema: each volume attached once, cdrom paths
 * absolute `.iso` or pool/volume references; a present guest may not use a volume or pool
 * this policy declares absent.
 */
export function checkDisksDocument(
  d: DomainDocument,
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const present = d.state !== "absent";
  const disks = new Set<string>();
  (d.disks ?? []).forEach((disk, j) => {
    const ref = c.format(disk.volume, [...path, "disks", j, "volume"], "volumeRef");
    if (ref === undefined) return;
    if (disks.has(ref)) c.issues.add([...path, "disks", j, "volume"], `${ref} is attached twice`);
    disks.add(ref);
    if (present) refPresent(ref, [...path, "disks", j, "volume"], c, refs);
  });
  (d.cdroms ?? []).forEach((cd, j) => {
    const s = c.concrete(cd);
    if (s === undefined) return;
    if (s.startsWith("/")) {
      const problem = checkAbsolutePath(s);
      if (problem) c.issues.add([...path, "cdroms", j], problem);
      else if (!s.endsWith(".iso")) c.issues.add([...path, "cdroms", j], `"${s}": a cdrom path must end in .iso`);
    } else if (!matchesPattern("volumeRef", s)) {
      c.issues.add(
        [...path, "cdroms", j],
        `invalid value ${JSON.stringify(s)}: pool/volume or an absolute path to an .iso`,
      );
    } else if (present) refPresent(s, [...path, "cdroms", j], c, refs);
  });
}

function refPresent(ref: string, path: PathSegment[], c: ValueChecker, refs: PolicyReferences): void {
  const pool = ref.slice(0, ref.indexOf("/"));
  if (absentOf(refs, "volume").has(ref)) c.issues.add(path, `volume "${ref}" is declared absent in this policy`);
  else if (absentOf(refs, "pool").has(pool)) c.issues.add(path, `pool "${pool}" is declared absent in this policy`);
}
