/**
 * The disks area's live changes on a running guest besides hot-plug: `disks[i].iotune`
 * (xml-diff.ts classes it `live`) is applied with virDomainSetBlockIoTune on the disk's
 * target, with flags AFFECT_LIVE | AFFECT_CONFIG. Every one of the six limits is sent (0 for
 * those the spec leaves out: libvirt keeps a parameter that is not sent), so the running
 * guest ends with exactly the spec's limits; the definition was already redefined with them,
 * CONFIG writes the same values again and keeps both in step even if the redefinition raced.
 */
import type { FieldChange } from "../../../common/changes.js";
import type { DomainRef, Hypervisor } from "../../../libvirt/index.js";
import type { DomainSpec } from "../spec.js";
import type { IotuneSpec } from "./schema.js";
import { IOTUNE_FIELDS, IOTUNE_KEYS } from "./values.js";
import { targetNames } from "./target-names.js";

const IOTUNE_CHANGE = /^disks\[(\d+)\]\.iotune$/;

/** libvirt's block I/O tune parameters for `t`: all six, 0 for an absent limit. */
export function blockIoTuneParams(t: IotuneSpec | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of IOTUNE_KEYS) out[IOTUNE_FIELDS[k]] = t?.[k] ?? 0;
  return out;
}

/** Applies the `disks[i].iotune` changes among `changes` to the running guest; returns the fields applied. */
export async function applyDisksLive(
  hv: Hypervisor,
  ref: DomainRef,
  spec: DomainSpec,
  changes: readonly FieldChange[],
): Promise<string[]> {
  const targets = targetNames(spec).disks;
  const done: string[] = [];
  for (const c of changes) {
    const m = IOTUNE_CHANGE.exec(c.field);
    if (!m) continue;
    const index = Number(m[1]);
    const disk = spec.disks[index];
    const target = targets[index];
    if (disk === undefined || target === undefined) continue;
    await hv.setBlockIoTune(ref, target, blockIoTuneParams(disk.iotune), { live: true, config: true });
    done.push(c.field);
  }
  return done;
}
