import { VirtfleetError } from "../../common/errors.js";
import type { Hypervisor } from "../../libvirt/index.js";
import { orNull } from "../resource-context.js";
import type { PoolSpec } from "./spec.js";
import { poolTargets } from "./targets.js";
import { parsePoolXml } from "./xml-parse.js";

/** A pool would occupy what another libvirt pool on this host already uses (plan-stage error). */
export class PoolTargetInUseError extends VirtfleetError {
  constructor(
    readonly pool: string,
    readonly other: string,
    readonly what: string,
    host = "this host",
  ) {
    super(
      "POOL_TARGET_IN_USE",
      `pool ${pool}: its ${what} is already used by the libvirt pool ${other} on ${host}; two pools cannot share it: choose another, or remove (or adopt) pool ${other}; nothing was applied`,
    );
  }
}

/**
 * Throws PoolTargetInUseError when another pool defined in this host's libvirt (any, managed
 * or not) occupies one of the path, devices, volume group, export, iSCSI target or Ceph pool
 * `spec` would (targets.ts). Read-only; run in dry-run and apply before a pool is defined or
 * moved.
 */
/** `host`: how errors name the host ("host NAME"; default "this host"). */
export async function checkTargetsFree(hv: Hypervisor, spec: PoolSpec, host = "this host"): Promise<void> {
  const mine = new Map(poolTargets(spec).map((t) => [t.key, t.label]));
  if (mine.size === 0) return;
  for (const ref of await hv.pools()) {
    if (ref.name === spec.name) continue;
    const xml = await orNull(hv.poolXml(ref, { inactive: true }));
    if (xml === null) continue;
    for (const t of poolTargets(parsePoolXml(xml))) {
      const label = mine.get(t.key);
      if (label !== undefined) throw new PoolTargetInUseError(spec.name, ref.name, label, host);
    }
  }
}
