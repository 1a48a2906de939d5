/**
 * The CPU and memory area's XML:
 * - `<memory>` = maxMemory (else memory) and `<currentMemory>` = memory, in KiB (bytes
 *   rounded up to a KiB);
 * - `<vcpu placement='static' current=vcpus>maxVcpus</vcpu>` (without maxVcpus: vcpus, no current);
 * - `<cpu mode>` (custom: `match='exact'` and `<model>`), `<topology>`, `<feature policy=require|disable>`
 *   (the spec's, plus the host's `ctx.cpuDisabledFeatures` the spec does not require), `<numa><cell>`;
 * - `<cputune>` with `<vcpupin>` and `<emulatorpin>`; `<numatune><memory mode nodeset>`;
 * - `<memoryBacking>` with `<hugepages><page size unit='KiB'/>` and `<locked/>`.
 */
import { ValidationError } from "../../../common/errors.js";
import { bytesToKiB } from "../../libvirt-xml/units.js";
import { xmlChoice, xmlString, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { DomainXmlParts } from "../area.js";
import type { DomainBuildContext } from "../parsed.js";
import type { DomainSpec } from "../spec.js";
import { parseCpuset } from "./cpuset.js";
import { CPU_OBJECT_MODES, NUMA_MEMORY_MODES } from "./constants.js";

/** Page sizes in KiB, as `<page size unit='KiB'>` takes them. */
export const HUGEPAGE_KIB = { "2MiB": 2048, "1GiB": 1048576 } as const;

export function buildCpuMemory(spec: DomainSpec, ctx: DomainBuildContext, parts: DomainXmlParts, where: string): void {
  positiveInt(spec.vcpus, `${where}: vcpus`);
  positiveInt(spec.memoryBytes, `${where}: memoryBytes`);
  const { domain } = parts;

  const maxKib = bytesToKiB(spec.maxMemoryBytes ?? spec.memoryBytes);
  const kib = bytesToKiB(spec.memoryBytes);
  if (kib > maxKib) throw new ValidationError(`${where}: memory must be at most maxMemory`);
  domain.memory = { "@_unit": "KiB", "#text": String(maxKib) };
  domain.currentMemory = { "@_unit": "KiB", "#text": String(kib) };

  if (spec.maxVcpus !== undefined) {
    positiveInt(spec.maxVcpus, `${where}: maxVcpus`);
    if (spec.vcpus > spec.maxVcpus) throw new ValidationError(`${where}: vcpus must be at most maxVcpus`);
    domain.vcpu = { "@_placement": "static", "@_current": String(spec.vcpus), "#text": String(spec.maxVcpus) };
  } else domain.vcpu = { "@_placement": "static", "#text": String(spec.vcpus) };

  const cpu: XmlNode = { "@_mode": xmlChoice(spec.cpu, CPU_OBJECT_MODES, `${where}: cpu`) };
  if (spec.cpu === "custom") {
    cpu["@_match"] = "exact";
    if (spec.cpuModel === undefined) throw new ValidationError(`${where}: cpu mode custom needs a model`);
  }
  if (spec.cpuModel !== undefined) cpu.model = { "#text": xmlString(spec.cpuModel, `${where}: cpu model`) };
  if (spec.topology) {
    const { sockets, cores, threads } = spec.topology;
    for (const [k, v] of Object.entries(spec.topology)) positiveInt(v, `${where}: topology.${k}`);
    cpu.topology = { "@_sockets": String(sockets), "@_cores": String(cores), "@_threads": String(threads) };
  }
  const required = spec.cpuFeatures?.require ?? [];
  const disabled = [
    ...new Set(
      [...(spec.cpuFeatures?.disable ?? []), ...(ctx.cpuDisabledFeatures ?? [])].filter((f) => !required.includes(f)),
    ),
  ];
  const features = [
    ...required.map((f) => ({ "@_policy": "require", "@_name": xmlString(f, `${where}: cpu feature`) })),
    ...disabled.map((f) => ({ "@_policy": "disable", "@_name": xmlString(f, `${where}: cpu feature`) })),
  ];
  if (features.length > 0) cpu.feature = features;
  if (spec.numa && spec.numa.cells.length > 0) {
    cpu.numa = {
      cell: spec.numa.cells.map((c, i) => ({
        "@_id": String(i),
        "@_cpus": cpuset(c.cpus, `${where}: numa.cells[${i}].cpus`),
        "@_memory": String(bytesToKiB(c.memoryBytes)),
        "@_unit": "KiB",
      })),
    };
  }
  domain.cpu = cpu;

  const pins = Object.entries(spec.pinning?.vcpus ?? {});
  if (pins.length > 0 || spec.pinning?.emulator !== undefined) {
    const cputune: XmlNode = {};
    if (pins.length > 0)
      cputune.vcpupin = pins.map(([vcpu, set]) => ({
        "@_vcpu": String(nonNegativeInt(vcpu, `${where}: pinning.vcpus`)),
        "@_cpuset": cpuset(set, `${where}: pinning.vcpus.${vcpu}`),
      }));
    if (spec.pinning?.emulator !== undefined)
      cputune.emulatorpin = { "@_cpuset": cpuset(spec.pinning.emulator, `${where}: pinning.emulator`) };
    domain.cputune = cputune;
  }
  if (spec.numa?.memoryNodeset !== undefined) {
    domain.numatune = {
      memory: {
        "@_mode": xmlChoice(spec.numa.memoryMode ?? "strict", NUMA_MEMORY_MODES, `${where}: numa.memoryMode`),
        "@_nodeset": cpuset(spec.numa.memoryNodeset, `${where}: numa.memoryNodeset`),
      },
    };
  }
  if (spec.hugepages !== undefined || spec.memoryLock) {
    const backing: XmlNode = {};
    if (spec.hugepages !== undefined) {
      const size = HUGEPAGE_KIB[spec.hugepages];
      if (size === undefined) throw new ValidationError(`${where}: hugepages must be 2MiB or 1GiB`);
      backing.hugepages = { page: { "@_size": String(size), "@_unit": "KiB" } };
    }
    if (spec.memoryLock) backing.locked = "";
    domain.memoryBacking = backing;
  }
}

function positiveInt(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw new ValidationError(`${what} must be a positive integer, got ${n}`);
}

function nonNegativeInt(s: string, what: string): number {
  if (!/^[0-9]{1,4}$/.test(s)) throw new ValidationError(`${what}: a vCPU number must be an integer`);
  return Number(s);
}

function cpuset(s: string, what: string): string {
  if (parseCpuset(s) === null) throw new ValidationError(`${what} is not a CPU set`);
  return s;
}
