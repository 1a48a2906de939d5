import type { SpecChecker } from "../../spec-checker.js";
import type { DomainSpec } from "../spec.js";
import { parseCpuset } from "./cpuset.js";
import { CPU_NAME_PATTERN } from "./constants.js";

const CPU_NAME = new RegExp(CPU_NAME_PATTERN);

/**
 * The agent's re-check of a resolved domain's CPU and memory (kinds/spec-checker.ts): CPU
 * model and feature names, cpusets, vCPU and pin numbers, and the current values within
 * their maximums — what goes into libvirt XML or a live call.
 */
export function checkCpuMemorySpec(c: SpecChecker, d: DomainSpec): void {
  if (d.cpuModel !== undefined && !CPU_NAME.test(d.cpuModel)) c.add("cpuModel", "invalid CPU model name");
  for (const list of ["require", "disable"] as const)
    (d.cpuFeatures?.[list] ?? []).forEach((f, i) => {
      if (typeof f !== "string" || !CPU_NAME.test(f)) c.add(`cpuFeatures.${list}[${i}]`, "invalid CPU feature name");
    });
  if (d.maxVcpus !== undefined && d.vcpus > d.maxVcpus) c.add("vcpus", "must be at most maxVcpus");
  if (d.maxMemoryBytes !== undefined && d.memoryBytes > d.maxMemoryBytes)
    c.add("memoryBytes", "must be at most maxMemoryBytes");
  for (const [vcpu, set] of Object.entries(d.pinning?.vcpus ?? {})) {
    if (!/^[0-9]{1,4}$/.test(vcpu)) c.add("pinning.vcpus", "vCPU numbers must be integers");
    cpuset(c, set, `pinning.vcpus.${vcpu}`);
  }
  if (d.pinning?.emulator !== undefined) cpuset(c, d.pinning.emulator, "pinning.emulator");
  (d.numa?.cells ?? []).forEach((cell, i) => cpuset(c, cell.cpus, `numa.cells[${i}].cpus`));
  if (d.numa?.memoryNodeset !== undefined) cpuset(c, d.numa.memoryNodeset, "numa.memoryNodeset");
}

function cpuset(c: SpecChecker, v: unknown, field: string): void {
  if (typeof v !== "string" || parseCpuset(v) === null)
    c.add(field, "invalid CPU set (numbers and ranges such as 0-3,6)");
}
