import { POOL_TYPE_INFO, type PoolType } from "./types.js";

/**
 * What a pool occupies on its host, so that two pools never share it: the directory or mount
 * point (dir, fs, netfs), each source block device (fs, disk, logical), the volume group, the
 * iSCSI target on its portal, the Ceph pool. `disk` and `iscsi` target paths (/dev,
 * /dev/disk/by-path) are shared by design and not listed. Used by the per-policy semantics,
 * the check across the policies of one host (policy-language/pool-targets.ts) and the plan
 * stage against the host's existing libvirt pools (resource.ts).
 */
export interface PoolTarget {
  /** Comparable key (`path:/srv/p`, `device:/dev/vdb1`, …). */
  key: string;
  /** For messages: `path /srv/p`, `device /dev/vdb1`, `volume group vg0`, … */
  label: string;
}

/** The minimal shape both a document and a parsed libvirt pool give. */
export interface PoolTargetInput {
  type: string;
  path?: string | null;
  source?: {
    device?: unknown;
    devices?: unknown;
    name?: unknown;
    host?: unknown;
    hosts?: unknown;
    port?: unknown;
    target?: unknown;
    dir?: unknown;
  } | null;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

export function poolTargets(p: PoolTargetInput): PoolTarget[] {
  const info = POOL_TYPE_INFO[p.type as PoolType];
  if (info === undefined) return [];
  const out: PoolTarget[] = [];
  const s = p.source ?? {};
  const path = str(p.path);
  if (info.pathIsExclusive && path !== undefined) out.push({ key: `path:${path}`, label: `path ${path}` });
  const device = str(s.device);
  if (device !== undefined && (p.type === "fs" || p.type === "disk"))
    out.push({ key: `device:${device}`, label: `source device ${device}` });
  if (p.type === "logical") {
    for (const d of Array.isArray(s.devices) ? s.devices : [])
      if (str(d) !== undefined) out.push({ key: `device:${d}`, label: `source device ${d}` });
    const vg = str(s.name);
    if (vg !== undefined) out.push({ key: `vg:${vg}`, label: `volume group ${vg}` });
  }
  if (p.type === "netfs" && str(s.host) !== undefined && str(s.dir) !== undefined)
    out.push({ key: `export:${s.host}:${s.dir}`, label: `export ${s.host}:${s.dir}` });
  if ((p.type === "iscsi" || p.type === "iscsi-direct") && str(s.host) !== undefined && str(s.target) !== undefined)
    out.push({ key: `iscsi:${s.host}:${s.target}`, label: `iSCSI target ${s.target} on ${s.host}` });
  if (p.type === "rbd" && str(s.name) !== undefined) {
    const mons = (Array.isArray(s.hosts) ? s.hosts : [])
      .filter((h) => str(h) !== undefined)
      .sort()
      .join(",");
    out.push({ key: `rbd:${mons}:${s.name}`, label: `Ceph pool ${s.name}` });
  }
  return out;
}
