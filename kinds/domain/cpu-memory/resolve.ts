import { parseSize } from "../../../common/units.js";
import type { DomainDocument, DomainSpec } from "../spec.js";
import { canonicalCpuset } from "./cpuset.js";
import type { NumaSpec, PinningSpec } from "./schema.js";

type CpuMemorySpec = Pick<
  DomainSpec,
  | "vcpus"
  | "maxVcpus"
  | "memoryBytes"
  | "maxMemoryBytes"
  | "cpu"
  | "cpuModel"
  | "cpuFeatures"
  | "topology"
  | "pinning"
  | "numa"
  | "hugepages"
  | "memoryLock"
>;

/**
 * vcpus, memory (bytes), cpu (default host-model). A domain with `state: absent` needs only
 * its name: vcpus and memory left out resolve to placeholders (1, 0) its removal never reads.
 * Every other field is left out when the policy does not set it, and written canonically so
 * that equal meanings hash equally: `cpu: {mode: host-model}` is `cpu: host-model`, feature
 * lists sorted and deduplicated (left out when both are empty), cpusets in libvirt's form
 * (cpuset.ts), `memoryLock: false` left out, `memoryMode` strict when a nodeset is given.
 */
export function resolveCpuMemory(d: DomainDocument): CpuMemorySpec {
  const out: CpuMemorySpec = {
    vcpus: d.vcpus ?? 1,
    memoryBytes: d.memory === undefined ? 0 : parseSize(d.memory),
    cpu: typeof d.cpu === "object" ? d.cpu.mode : (d.cpu ?? "host-model"),
  };
  if (d.maxVcpus !== undefined) out.maxVcpus = d.maxVcpus;
  if (d.maxMemory !== undefined) out.maxMemoryBytes = parseSize(d.maxMemory);
  if (typeof d.cpu === "object") {
    if (d.cpu.model !== undefined) out.cpuModel = d.cpu.model;
    const require = sortedSet(d.cpu.features?.require);
    const disable = sortedSet(d.cpu.features?.disable);
    if (require.length > 0 || disable.length > 0) out.cpuFeatures = { require, disable };
  }
  if (d.topology) out.topology = { sockets: d.topology.sockets, cores: d.topology.cores, threads: d.topology.threads };
  if (d.pinning) {
    const pinning: PinningSpec = {
      vcpus: Object.fromEntries(
        Object.entries(d.pinning.vcpus ?? {})
          .map(([v, set]) => [String(Number(v)), canonicalCpuset(set)] as const)
          .sort(([a], [b]) => Number(a) - Number(b)),
      ),
    };
    if (d.pinning.emulator !== undefined) pinning.emulator = canonicalCpuset(d.pinning.emulator);
    out.pinning = pinning;
  }
  if (d.numa) {
    const numa: NumaSpec = {
      cells: (d.numa.cells ?? []).map((c) => ({ cpus: canonicalCpuset(c.cpus), memoryBytes: parseSize(c.memory) })),
    };
    if (d.numa.memoryNodeset !== undefined) {
      numa.memoryNodeset = canonicalCpuset(d.numa.memoryNodeset);
      numa.memoryMode = d.numa.memoryMode ?? "strict";
    }
    out.numa = numa;
  }
  if (d.hugepages !== undefined) out.hugepages = d.hugepages;
  if (d.memoryLock === true) out.memoryLock = true;
  return out;
}

function sortedSet(list: readonly string[] | undefined): string[] {
  return [...new Set(list ?? [])].sort();
}
