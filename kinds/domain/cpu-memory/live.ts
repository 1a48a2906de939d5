import { VirtfleetError } from "../../../common/errors.js";
import type { FieldChange } from "../../../common/changes.js";
import type { DomainRef, Hypervisor } from "../../../libvirt/index.js";
import { bytesToKiB } from "../../libvirt-xml/units.js";
import { parseXml } from "../../libvirt-xml/xml-io.js";
import type { DomainSpec } from "../spec.js";
import { parseCpuMemory } from "./xml-parse.js";

/**
 * Applies one live-class CPU/memory change to a RUNNING guest whose definition already has
 * it (the resource redefines first): `vcpus` (with maxVcpus) by vCPU hot-plug
 * (virDomainSetVcpusFlags, AFFECT_LIVE: libvirt plugs or unplugs vCPUs up to the running
 * maximum), `memory` (with maxMemory) through the balloon (virDomainSetMemoryFlags,
 * AFFECT_LIVE; the guest's balloon driver gives the memory back or takes it). Returns false
 * for a change that is not this area's. When the running guest's maximum is lower than the
 * new value (its maxVcpus/maxMemory changed and it has not restarted yet), throws: the value
 * applies at the next restart.
 */
export async function applyCpuMemoryLive(
  hv: Hypervisor,
  ref: DomainRef,
  spec: DomainSpec,
  change: FieldChange,
): Promise<boolean> {
  const live = { live: true, config: false };
  if (change.field === "vcpus" && spec.maxVcpus !== undefined) {
    const running = parseCpuMemory(parseXml(await hv.domainXml(ref), "domain"), spec.name);
    if (spec.vcpus > running.maxVcpus) throw beyondMaximum(spec.name, "vcpus", spec.vcpus, running.maxVcpus);
    if (running.vcpus !== spec.vcpus) await hv.setDomainVcpus(ref, spec.vcpus, live);
    return true;
  }
  if (change.field === "memory" && spec.maxMemoryBytes !== undefined) {
    const running = parseCpuMemory(parseXml(await hv.domainXml(ref), "domain"), spec.name);
    const kib = bytesToKiB(spec.memoryBytes);
    if (kib * 1024 > running.memoryBytes) throw beyondMaximum(spec.name, "memory", kib * 1024, running.memoryBytes);
    await hv.setDomainMemory(ref, kib, live);
    return true;
  }
  return false;
}

function beyondMaximum(domain: string, field: string, want: number, max: number): VirtfleetError {
  return new VirtfleetError(
    "DOMAIN_LIVE_LIMIT",
    `domain ${domain}: ${field} ${want} is above the running guest's maximum ${max} (its new maximum applies at its next restart); the definition has the new value`,
  );
}
