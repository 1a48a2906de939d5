import type { FieldChange } from "../../common/changes.js";
import { RefusedChangeError } from "../../engine/index.js";
import { type Hypervisor, type PoolRef, StoragePoolBuildFlags } from "../../libvirt/index.js";
import { checkBlockDevice, describeContent, probeDevice } from "./device-probe.js";
import type { PoolSpec } from "./spec.js";
import { POOL_TYPE_INFO } from "./types.js";

/**
 * What building a pool's storage does when virtfleet defines it (on a new pool, or onto a new
 * source), per type (types.ts):
 * - `mkdir` types (dir, netfs) and `fs` without build: libvirt creates the target directory
 *   (flags 0 never formats);
 * - `formats` types with `build: true`: the source device(s) get the file system, partition
 *   table or volume group. Refused (`blocked`, in dry-run and apply alike, nothing touched)
 *   when a device holds a file system or partition table (probed with `blkid -p`) unless
 *   `overwrite: true`; libvirt's own check backs ours up (VIR_STORAGE_POOL_BUILD_NO_OVERWRITE
 *   unless overwrite, then _OVERWRITE);
 * - otherwise nothing.
 * When an existing pool is redefined onto a source (`redefine`: a policy change, or a drift
 * repair moving it back), a device that already holds something is used as it is — never
 * formatted, even with `overwrite: true` (it may be this pool's own file system, e.g. when
 * repairing a pool moved behind virtfleet's back) — and only empty devices are built.
 */
export interface BuildPlan {
  /** libvirt build flags, or null: no build call. */
  flags: number | null;
  /** The change to report (what gets formatted), if any. */
  change: FieldChange | null;
}

export async function planBuild(
  spec: PoolSpec,
  changes: readonly FieldChange[],
  o: { redefine?: boolean } = {},
): Promise<BuildPlan> {
  const info = POOL_TYPE_INFO[spec.type];
  const devices = sourceDevices(spec);
  if (info.build === "formats" && spec.build === true) {
    const found: string[] = [];
    for (const d of devices) {
      await checkBlockDevice(spec.name, d);
      const held = describeContent(await probeDevice(d));
      if (held !== null) found.push(`${d} holds ${held}`);
    }
    const to = `${what(spec)} on ${devices.join(", ")}`;
    if (o.redefine === true && found.length > 0)
      return { flags: spec.type === "fs" ? StoragePoolBuildFlags.NEW : null, change: null };
    if (found.length > 0 && spec.overwrite !== true)
      throw new RefusedChangeError(
        "blocked",
        `pool/${spec.name}: build would write ${to}, but ${found.join("; ")}; nothing was touched. ` +
          "Set overwrite: true to format it anyway (what it holds is lost), or build: false to use it as it is",
        [...changes],
      );
    return {
      flags: spec.overwrite === true ? StoragePoolBuildFlags.OVERWRITE : StoragePoolBuildFlags.NO_OVERWRITE,
      change: {
        field: "build",
        from: found.length > 0 ? found.join("; ") : "empty",
        to,
        disruption: "live",
      },
    };
  }
  for (const d of devices) await checkBlockDevice(spec.name, d);
  if (info.build === "mkdir" || spec.type === "fs") return { flags: StoragePoolBuildFlags.NEW, change: null };
  return { flags: null, change: null };
}

export async function runBuild(hv: Hypervisor, ref: PoolRef, plan: BuildPlan): Promise<void> {
  if (plan.flags !== null) await hv.buildPool(ref, plan.flags);
}

function sourceDevices(spec: PoolSpec): string[] {
  const s = spec.source ?? {};
  if (spec.type === "fs" || spec.type === "disk") return s.device !== undefined ? [s.device] : [];
  if (spec.type === "logical") return s.devices ?? [];
  return [];
}

function what(spec: PoolSpec): string {
  const f = spec.source?.format;
  if (spec.type === "fs") return f === undefined || f === "auto" ? "a file system" : `a ${f} file system`;
  if (spec.type === "disk") return `a ${f ?? "gpt"} partition table`;
  return `LVM volume group ${spec.source?.name ?? spec.name}`;
}
