/** The CPU and memory area of a ParsedDomain (see ../parsed.ts). */

export interface ParsedCpuMemory {
  /** Vcpus at boot (`current` attribute, else the maximum). */
  vcpus: number;
  maxVcpus: number;
  memoryBytes: number;
  currentMemoryBytes: number;
  /** `<cpu mode>`; null when there is no <cpu> element. */
  cpu: string | null;
  /** CPU features with policy `disable` (never compared; informational). */
  cpuDisabledFeatures: string[];
}
