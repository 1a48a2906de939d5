import type { PathSegment } from "../../policy-primitives/issues.js";
import { checkAbsolutePath } from "../../policy-primitives/names.js";
import { absentOf, type PolicyReferences, type ValueChecker } from "../../policy-primitives/value-checker.js";
import { deviceProblem, hostPortProblem, iqnProblem, secretFileProblem } from "./rules.js";
import type { PoolDocument } from "./spec.js";
import { poolTargets } from "./targets.js";
import { POOL_TYPE_INFO, type PoolType, type SourceField } from "./types.js";

/**
 * The pools of one policy beyond the schema, per type as types.ts describes it: names unique;
 * the target path required, defaulted or not allowed; only the source fields the type takes,
 * the required ones present; formats of the type; devices under /dev; IQNs and host names well
 * formed; secret files absolute; build/overwrite only where build formats something; and no
 * two pools occupying one path, device, volume group, export, iSCSI target or Ceph pool.
 * Records the pools declared absent in `refs`.
 */
export function checkPoolDocuments(
  pools: readonly PoolDocument[],
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const seenPools = new Map<string, number>();
  const seenTargets = new Map<string, number>();
  pools.forEach((p, i) => {
    const at: PathSegment[] = [...path, i];
    const name = c.format(p.name, [...at, "name"], "resourceName");
    if (name !== undefined) {
      c.declaredOnce(seenPools, name, [...at, "name"], "pool", i);
      if (p.state === "absent") absentOf(refs, "pool").add(name);
    }
    const type: PoolType = p.type ?? "dir";
    const info = POOL_TYPE_INFO[type];
    const absent = p.state === "absent";
    let ok = true;
    const issue = (where: PathSegment[], message: string) => {
      c.issues.add(where, message);
      ok = false;
    };

    if (p.path !== undefined && info.path === "none")
      issue([...at, "path"], `a ${type} pool has no target path: remove path`);
    else if (p.path === undefined && info.path === "required" && !absent)
      issue(at, `path is required for a ${type} pool (unless state is absent)`);
    const dir = c.concrete(p.path);
    if (dir !== undefined && info.path !== "none") {
      const problem = checkAbsolutePath(dir);
      if (problem) issue([...at, "path"], problem);
    }

    const source = (p.source ?? {}) as Record<string, unknown>;
    for (const f of Object.keys(source) as SourceField[])
      if (!info.allowedSource.includes(f))
        issue(
          [...at, "source", f],
          info.allowedSource.length === 0
            ? `a ${type} pool takes no source: remove source.${f}`
            : `a ${type} pool takes no source.${f} (it takes: ${info.allowedSource.join(", ")})`,
        );
    if (!absent) {
      const missing = info.requiredSource.filter((f) => source[f] === undefined);
      if (missing.length > 0)
        issue(
          p.source === undefined ? at : [...at, "source"],
          `a ${type} pool needs ${missing.map((f) => `source.${f}`).join(", ")}`,
        );
    }
    const format = c.concrete(source.format);
    if (format !== undefined && info.formats !== null && !info.formats.includes(format))
      issue(
        [...at, "source", "format"],
        `${JSON.stringify(format)} is not a ${type} format (${info.formats.join(" | ")})`,
      );
    const value = (f: SourceField, check: (v: string) => string | null) => {
      const v = c.concrete(source[f]);
      if (v === undefined || !info.allowedSource.includes(f)) return;
      const bad = check(v);
      if (bad) issue([...at, "source", f], bad);
    };
    value("device", deviceProblem);
    value("dir", checkAbsolutePath);
    value("target", iqnProblem);
    value("initiator", iqnProblem);
    value("host", (v) => hostPortProblem(v, false));
    if (Array.isArray(source.devices) && info.allowedSource.includes("devices"))
      source.devices.forEach((d, j) => {
        const v = c.concrete(d);
        const bad = v === undefined ? null : deviceProblem(v);
        if (bad) issue([...at, "source", "devices", j], bad);
      });
    if (Array.isArray(source.hosts) && info.allowedSource.includes("hosts"))
      source.hosts.forEach((h, j) => {
        const v = c.concrete(h);
        const bad = v === undefined ? null : hostPortProblem(v, true);
        if (bad) issue([...at, "source", "hosts", j], bad);
      });
    for (const f of ["chap", "auth"] as const) {
      const cred = source[f] as { secretFile?: unknown } | undefined;
      const file = c.concrete(cred?.secretFile);
      const bad = file === undefined ? null : secretFileProblem(file);
      if (bad) issue([...at, "source", f, "secretFile"], bad);
    }

    if (p.build !== undefined && info.build !== "formats")
      issue(
        [...at, "build"],
        `a ${type} pool has nothing to format: remove build (dir and netfs directories are always created)`,
      );
    if (p.build === true && type === "fs" && (source.format === undefined || format === "auto"))
      issue(
        [...at, "source", "format"],
        "build: true needs the file system to make: set source.format (ext4, xfs, …), not auto",
      );
    if (p.overwrite === true && p.build !== true)
      issue([...at, "overwrite"], "overwrite only applies with build: true");

    if (!ok || absent) return;
    const targets = poolTargets({
      type,
      path: p.type === undefined || info.path !== "none" ? c.concrete(p.path) : null,
      source: p.source,
    });
    for (const t of targets) {
      // a templated value is compared per host, after templating
      if (t.key.includes("${")) continue;
      const first = seenTargets.get(t.key);
      if (first !== undefined)
        c.issues.add(
          t.key.startsWith("path:") ? [...at, "path"] : [...at, "source"],
          `pool ${t.label} is used twice in this policy (first at pools[${first}]); two pools cannot share it`,
        );
      else seenTargets.set(t.key, i);
    }
  });
}
