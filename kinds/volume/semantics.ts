import type { PathSegment } from "../../policy-primitives/issues.js";
import { absentOf, type PolicyReferences, type ValueChecker } from "../../policy-primitives/value-checker.js";
import { poolTypeProblems } from "./pool-formats.js";
import type { VolumeDocument } from "./spec.js";

/**
 * The volumes of one policy beyond the schema: identities (pool/name) unique, capacity > 0,
 * allocation ≤ capacity, overlay rules (qcow2, not imported, not its own backing), clone rules
 * (a volume of the same pool, not with source or backingVolume, not itself), source URL shape,
 * no present volume in a pool declared absent, and — when the pool is declared in this same
 * policy with a concrete type — what that pool type supports (pool-formats.ts). Records the
 * volumes declared absent in `refs`.
 */
export function checkVolumeDocuments(
  volumes: readonly VolumeDocument[],
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const seen = new Map<string, number>();
  const poolTypes = declaredPoolTypes(refs.declared.pools, c);
  volumes.forEach((v, i) => {
    const key = checkVolume(v, [...path, i], c, absentOf(refs, "pool"), poolTypes);
    if (key !== undefined) {
      c.declaredOnce(seen, key, [...path, i, "name"], "volume", i);
      if (v.state === "absent") absentOf(refs, "volume").add(key);
    }
  });
}

/** Pool name → type for the pools this policy declares with concrete values (type defaults to dir). */
function declaredPoolTypes(pools: unknown, c: ValueChecker): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(pools)) return out;
  for (const p of pools as { name?: unknown; type?: unknown }[]) {
    const name = c.concrete(p?.name);
    const type = p?.type === undefined ? "dir" : c.concrete(p.type);
    if (name !== undefined && type !== undefined) out.set(name, type);
  }
  return out;
}

/** Returns the volume's identity `pool/name` when both are concrete and valid. */
function checkVolume(
  v: VolumeDocument,
  path: PathSegment[],
  c: ValueChecker,
  absentPools: ReadonlySet<string>,
  poolTypes: ReadonlyMap<string, string>,
): string | undefined {
  const name = c.format(v.name, [...path, "name"], "volumeName");
  const pool = c.format(v.pool, [...path, "pool"], "resourceName");
  const capacity = c.size(v.capacity, [...path, "capacity"]);
  if (capacity === 0) c.issues.add([...path, "capacity"], "must be greater than 0");
  const allocation = c.size(v.allocation, [...path, "allocation"]);
  if (allocation !== undefined && capacity !== undefined && allocation > capacity)
    c.issues.add(
      [...path, "allocation"],
      `${allocation} bytes is more than the capacity (${capacity} bytes); allocation is 0 (sparse) … capacity (preallocated)`,
    );
  const backing = c.format(v.backingVolume, [...path, "backingVolume"], "volumeName");
  if (v.backingVolume !== undefined) {
    if (v.source !== undefined)
      c.issues.add(
        [...path, "backingVolume"],
        "a volume is either an overlay (backingVolume) or imported (source), not both",
      );
    else if (v.format !== undefined && v.format !== "qcow2")
      c.issues.add([...path, "backingVolume"], "a copy-on-write overlay needs format qcow2");
    else if (backing !== undefined && backing === name)
      c.issues.add([...path, "backingVolume"], "a volume cannot be its own backing volume");
  }
  checkClone(v, path, c, name, pool);
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
    if (v.format !== undefined && v.format !== "qcow2" && v.format !== "raw")
      c.issues.add([...path, "format"], `an imported image is qcow2 or raw, not ${v.format}`);
  }
  if (pool !== undefined && absentPools.has(pool) && v.state !== "absent") {
    c.issues.add(
      [...path, "pool"],
      `pool "${pool}" is declared absent in this policy; a present volume cannot live in it`,
    );
  }
  const poolType = pool === undefined ? undefined : poolTypes.get(pool);
  if (pool !== undefined && poolType !== undefined && v.state !== "absent") {
    const traits = {
      format: c.concrete(v.format),
      allocation: v.allocation !== undefined,
      backingVolume: v.backingVolume !== undefined,
      source: v.source !== undefined,
    };
    for (const p of poolTypeProblems(pool, poolType, traits)) c.issues.add([...path, p.field], p.message);
  }
  return name !== undefined && pool !== undefined ? `${pool}/${name}` : undefined;
}

/** cloneFrom: a plain volume name of the same pool, alone (no source, no backingVolume), not the volume itself. */
function checkClone(
  v: VolumeDocument,
  path: PathSegment[],
  c: ValueChecker,
  name: string | undefined,
  pool: string | undefined,
): void {
  const from = c.concrete(v.cloneFrom);
  const at = [...path, "cloneFrom"];
  if (v.cloneFrom !== undefined && v.source !== undefined)
    c.issues.add(at, "a volume is either cloned (cloneFrom) or imported (source), not both");
  if (v.cloneFrom !== undefined && v.backingVolume !== undefined)
    c.issues.add(
      at,
      "a volume is either a full copy (cloneFrom) or a copy-on-write overlay (backingVolume) of another, not both",
    );
  if (from === undefined) return;
  const slash = from.indexOf("/");
  if (slash >= 0) {
    const other = from.slice(0, slash);
    c.issues.add(
      at,
      other === pool
        ? `cloneFrom is a volume name in the same pool: write ${JSON.stringify(from.slice(slash + 1))}, without the pool`
        : `cloneFrom names a volume of pool "${other}"; a volume is cloned only from a volume of its own pool${pool === undefined ? "" : ` ("${pool}")`}: clone it there first, or import the image with source`,
    );
    return;
  }
  if (c.format(from, at, "volumeName") === from && from === name)
    c.issues.add(at, "a volume cannot be cloned from itself");
}
