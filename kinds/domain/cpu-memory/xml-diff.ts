/**
 * The CPU and memory area's diff. vcpus and memory are `restart` (no separate maximum is set,
 * so neither can grow live); memory compares in KiB (the desired bytes rounded up, as the
 * builder writes them); the CPU mode is `restart`. Disabled CPU features are never compared.
 */
import { bytesToKiB } from "../../libvirt-xml/units.js";
import type { AddChange } from "../area.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedCpuMemory } from "./parsed.js";

export function diffCpuMemory(desired: DomainSpec, actual: ParsedCpuMemory, add: AddChange): void {
  if (actual.vcpus !== desired.vcpus || actual.maxVcpus !== desired.vcpus) {
    add(
      "vcpus",
      actual.vcpus === actual.maxVcpus ? actual.vcpus : { current: actual.vcpus, max: actual.maxVcpus },
      desired.vcpus,
      "restart",
    );
  }
  const wantMem = bytesToKiB(desired.memoryBytes) * 1024;
  if (actual.memoryBytes !== wantMem || actual.currentMemoryBytes !== wantMem) {
    const from =
      actual.memoryBytes === actual.currentMemoryBytes
        ? actual.memoryBytes
        : { max: actual.memoryBytes, current: actual.currentMemoryBytes };
    add("memory", from, desired.memoryBytes, "restart");
  }
  if (actual.cpu !== desired.cpu) add("cpu", actual.cpu, desired.cpu, "restart");
}
