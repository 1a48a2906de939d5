/** The CPU and memory area of a ParsedDomain (see ../parsed.ts). Cpusets are canonical (cpuset.ts). */

export interface ParsedCpuMemory {
  /** Vcpus at boot (`current` attribute, else the maximum). */
  vcpus: number;
  maxVcpus: number;
  /** `<memory>`: the maximum (libvirt's total; with NUMA cells, their sum). */
  memoryBytes: number;
  /** `<currentMemory>` (the balloon's target at boot); `<memory>` when absent. */
  currentMemoryBytes: number;
  /** `<cpu mode>`; null when there is no <cpu> element. */
  cpu: string | null;
  /** CPU features with policy `disable`, sorted. */
  cpuDisabledFeatures: string[];
  /** CPU features with policy `require` (or `force`), sorted. */
  cpuRequiredFeatures: string[];
  /** `<cpu><model>`; null when absent. */
  cpuModel: string | null;
  /** `<cpu><topology>` (dies are not managed); null when absent. */
  topology: { sockets: number; cores: number; threads: number } | null;
  /** `<cputune><vcpupin>`: vCPU number → cpuset. */
  vcpuPins: Record<string, string>;
  /** `<cputune><emulatorpin cpuset>`; null when absent. */
  emulatorPin: string | null;
  /** `<cpu><numa><cell>`, by id. */
  numaCells: { id: number; cpus: string; memoryBytes: number }[];
  /** `<numatune><memory>`; null when absent. */
  numaMemory: { mode: string; nodeset: string | null } | null;
  /**
   * `<memoryBacking><hugepages>`: the page size as a policy writes it (`2MiB`, `1GiB`, other
   * sizes in KiB such as `16384KiB`), `default` for hugepages without a page size; null without hugepages.
   */
  hugepages: string | null;
  /** `<memoryBacking><locked/>`. */
  memoryLock: boolean;
}
