/**
 * The CPU and memory area's diff. A field the spec leaves out is compared with its absence
 * (libvirt adds none of these elements on its own: checked with the real libvirtd), so taking
 * a field out of the policy takes it out of the guest. cpusets and feature lists compare
 * canonically (as sets); memory compares in KiB (the desired bytes rounded up, as the builder
 * writes them); a CPU model only when the desired mode is custom.
 *
 * Disruption on a RUNNING guest:
 * - `vcpus`: without maxVcpus, the count is both current and maximum and is `restart` (as
 *   before). With maxVcpus, `vcpus` is the current count: `live` (hot-plug, live.ts) when
 *   the stored maximum already equals the desired maxVcpus, else `restart`.
 * - `maxVcpus`: `restart`.
 * - `memory`: without maxMemory, memory is both current and maximum and is `restart` (as
 *   before). With maxMemory, `memory` is the current (balloon) memory: `live` (balloon,
 *   live.ts) when the stored maximum already equals the desired maxMemory, else `restart`.
 * - `maxMemory`: `restart`.
 * - `cpu` (mode), `cpu.model`, `cpu.features`, `topology`: `restart`.
 * - `pinning.vcpus`, `pinning.emulator`: `restart` (applied to the definition; libvirt could
 *   re-pin live, virtfleet does not yet).
 * - `numa.cells`, `numa.memory` (nodeset and mode): `restart`.
 * - `hugepages`, `memoryLock`: `restart`.
 * CPU features: required and disabled ones compared as sets; the host's own disabled ones
 * (NESTED_KVM_DISABLED_FEATURES, added by the builder on nested hosts) never count unless the
 * spec disables them too.
 */
import { bytesToKiB } from "../../libvirt-xml/units.js";
import type { AddChange } from "../area.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedCpuMemory } from "./parsed.js";

/** CPU features a host's environment disables (kinds/domain/host-env.ts); never drift. */
export const NESTED_KVM_DISABLED_FEATURES: readonly string[] = ["arch-capabilities"];

export function diffCpuMemory(desired: DomainSpec, actual: ParsedCpuMemory, add: AddChange): void {
  diffVcpus(desired, actual, add);
  diffMemory(desired, actual, add);
  diffCpu(desired, actual, add);
  diffPinning(desired, actual, add);
  diffNuma(desired, actual, add);
  if ((desired.hugepages ?? null) !== actual.hugepages)
    add("hugepages", actual.hugepages, desired.hugepages ?? null, "restart");
  if ((desired.memoryLock ?? false) !== actual.memoryLock)
    add("memoryLock", actual.memoryLock, desired.memoryLock ?? false, "restart");
}

function diffVcpus(desired: DomainSpec, actual: ParsedCpuMemory, add: AddChange): void {
  if (desired.maxVcpus === undefined) {
    if (actual.vcpus !== desired.vcpus || actual.maxVcpus !== desired.vcpus) {
      add(
        "vcpus",
        actual.vcpus === actual.maxVcpus ? actual.vcpus : { current: actual.vcpus, max: actual.maxVcpus },
        desired.vcpus,
        "restart",
      );
    }
    return;
  }
  const maxSame = actual.maxVcpus === desired.maxVcpus;
  if (!maxSame) add("maxVcpus", actual.maxVcpus, desired.maxVcpus, "restart");
  if (actual.vcpus !== desired.vcpus) add("vcpus", actual.vcpus, desired.vcpus, maxSame ? "live" : "restart");
}

function diffMemory(desired: DomainSpec, actual: ParsedCpuMemory, add: AddChange): void {
  const wantMem = bytesToKiB(desired.memoryBytes) * 1024;
  if (desired.maxMemoryBytes === undefined) {
    if (actual.memoryBytes !== wantMem || actual.currentMemoryBytes !== wantMem) {
      const from =
        actual.memoryBytes === actual.currentMemoryBytes
          ? actual.memoryBytes
          : { max: actual.memoryBytes, current: actual.currentMemoryBytes };
      add("memory", from, desired.memoryBytes, "restart");
    }
    return;
  }
  const wantMax = bytesToKiB(desired.maxMemoryBytes) * 1024;
  const maxSame = actual.memoryBytes === wantMax;
  if (!maxSame) add("maxMemory", actual.memoryBytes, desired.maxMemoryBytes, "restart");
  if (actual.currentMemoryBytes !== wantMem)
    add("memory", actual.currentMemoryBytes, desired.memoryBytes, maxSame ? "live" : "restart");
}

function diffCpu(desired: DomainSpec, actual: ParsedCpuMemory, add: AddChange): void {
  if (actual.cpu !== desired.cpu) add("cpu", actual.cpu, desired.cpu, "restart");
  if (desired.cpu === "custom" && actual.cpuModel !== (desired.cpuModel ?? null))
    add("cpu.model", actual.cpuModel, desired.cpuModel, "restart");
  const want = desired.cpuFeatures ?? { require: [], disable: [] };
  const disabled = actual.cpuDisabledFeatures.filter(
    (f) => want.disable.includes(f) || !NESTED_KVM_DISABLED_FEATURES.includes(f),
  );
  const have = { require: [...new Set(actual.cpuRequiredFeatures)].sort(), disable: [...new Set(disabled)].sort() };
  if (!sameList(have.require, want.require) || !sameList(have.disable, want.disable))
    add("cpu.features", have, want, "restart");
  const t = desired.topology ?? null;
  const a = actual.topology;
  if (t === null ? a !== null : a === null || a.sockets !== t.sockets || a.cores !== t.cores || a.threads !== t.threads)
    add("topology", a, t, "restart");
}

function diffPinning(desired: DomainSpec, actual: ParsedCpuMemory, add: AddChange): void {
  const want = desired.pinning?.vcpus ?? {};
  const keys = [...new Set([...Object.keys(want), ...Object.keys(actual.vcpuPins)])];
  if (keys.some((k) => want[k] !== actual.vcpuPins[k])) add("pinning.vcpus", actual.vcpuPins, want, "restart");
  const emulator = desired.pinning?.emulator ?? null;
  if (emulator !== actual.emulatorPin) add("pinning.emulator", actual.emulatorPin, emulator, "restart");
}

function diffNuma(desired: DomainSpec, actual: ParsedCpuMemory, add: AddChange): void {
  const want = (desired.numa?.cells ?? []).map((c, id) => ({
    id,
    cpus: c.cpus,
    memoryBytes: bytesToKiB(c.memoryBytes) * 1024,
  }));
  const have = [...actual.numaCells].sort((x, y) => x.id - y.id);
  const same =
    want.length === have.length &&
    want.every((c, i) => c.id === have[i]!.id && c.cpus === have[i]!.cpus && c.memoryBytes === have[i]!.memoryBytes);
  if (!same) add("numa.cells", have, want, "restart");
  const nodeset = desired.numa?.memoryNodeset;
  const wantMem = nodeset === undefined ? null : { mode: desired.numa?.memoryMode ?? "strict", nodeset };
  const a = actual.numaMemory;
  if (wantMem === null ? a !== null : a === null || a.mode !== wantMem.mode || a.nodeset !== wantMem.nodeset)
    add("numa.memory", a, wantMem, "restart");
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
