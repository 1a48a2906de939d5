import type { PathSegment } from "../../policy-primitives/issues.js";
import { checkAbsolutePath } from "../../policy-primitives/names.js";
import { absentOf, type PolicyReferences, type ValueChecker } from "../../policy-primitives/value-checker.js";
import type { PoolDocument } from "./spec.js";

/**
 * The pools of one policy beyond the schema: names and paths unique, paths absolute and
 * normalised. Records the pools declared absent in `refs`.
 */
export function checkPoolDocuments(
  pools: readonly PoolDocument[],
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const seenPools = new Map<string, number>();
  const seenPaths = new Map<string, number>();
  pools.forEach((p, i) => {
    const name = c.format(p.name, [...path, i, "name"], "resourceName");
    if (name !== undefined) {
      c.declaredOnce(seenPools, name, [...path, i, "name"], "pool", i);
      if (p.state === "absent") absentOf(refs, "pool").add(name);
    }
    const dir = c.concrete(p.path);
    if (dir !== undefined) {
      const problem = checkAbsolutePath(dir);
      if (problem) c.issues.add([...path, i, "path"], problem);
      else
        c.unique(
          seenPaths,
          dir,
          [...path, i, "path"],
          `pool path "${dir}" is used twice in this policy (first at pools[${seenPaths.get(dir)}])`,
          i,
        );
    }
  });
}
