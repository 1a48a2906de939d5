import type { PathSegment } from "../../policy-primitives/issues.js";
import { absentOf, type PolicyReferences, type ValueChecker } from "../../policy-primitives/value-checker.js";
import type { VolumeDocument } from "./spec.js";

/**
 * The volumes of one policy beyond the schema: identities (pool/name) unique, capacity > 0,
 * overlay rules (qcow2, not imported, not its own backing), source URL shape, no present
 * volume in a pool declared absent. Records the volumes declared absent in `refs`.
 */
export function checkVolumeDocuments(
  volumes: readonly VolumeDocument[],
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const seen = new Map<string, number>();
  volumes.forEach((v, i) => {
    const key = checkVolume(v, [...path, i], c, absentOf(refs, "pool"));
    if (key !== undefined) {
      c.declaredOnce(seen, key, [...path, i, "name"], "volume", i);
      if (v.state === "absent") absentOf(refs, "volume").add(key);
    }
  });
}

/** Returns the volume's identity `pool/name` when both are concrete and valid. */
function checkVolume(
  v: VolumeDocument,
  path: PathSegment[],
  c: ValueChecker,
  absentPools: ReadonlySet<string>,
): string | undefined {
  const name = c.format(v.name, [...path, "name"], "volumeName");
  const pool = c.format(v.pool, [...path, "pool"], "resourceName");
  const capacity = c.size(v.capacity, [...path, "capacity"]);
  if (capacity === 0) c.issues.add([...path, "capacity"], "must be greater than 0");
  const backing = c.format(v.backingVolume, [...path, "backingVolume"], "volumeName");
  if (v.backingVolume !== undefined) {
    if (v.source !== undefined)
      c.issues.add(
        [...path, "backingVolume"],
        "a volume is either an overlay (backingVolume) or imported (source), not both",
      );
    else if (v.format === "raw") c.issues.add([...path, "backingVolume"], "a copy-on-write overlay needs format qcow2");
    else if (backing !== undefined && backing === name)
      c.issues.add([...path, "backingVolume"], "a volume cannot be its own backing volume");
  }
  if (v.source) {
    const url = c.format(v.source.url, [...path, "source", "url"], "url");
    if (url !== undefined) {
      try {
        const u = new URL(url);
        if (u.protocol !== "file:" && u.hostname === "") c.issues.add([...path, "source", "url"], `${url} has no host`);
        if (u.protocol === "file:" && (u.hostname !== "" || !u.pathname.startsWith("/")))
          c.issues.add([...path, "source", "url"], `${url}: a file URL is file:///absolute/path`);
      } catch {
        c.issues.add([...path, "source", "url"], `invalid URL ${JSON.stringify(url)}`);
      }
    }
    c.format(v.source.sha256, [...path, "source", "sha256"], "sha256");
  }
  if (pool !== undefined && absentPools.has(pool) && v.state !== "absent") {
    c.issues.add(
      [...path, "pool"],
      `pool "${pool}" is declared absent in this policy; a present volume cannot live in it`,
    );
  }
  return name !== undefined && pool !== undefined ? `${pool}/${name}` : undefined;
}
