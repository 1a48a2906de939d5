import { parseSize } from "../../../common/units.js";
import type { DomainDocument, DomainSpec } from "../spec.js";

/**
 * vcpus, memory (bytes), cpu (default host-model). A domain with `state: absent` needs only
 * its name: vcpus and memory left out resolve to placeholders (1, 0) its removal never reads.
 */
export function resolveCpuMemory(d: DomainDocument): Pick<DomainSpec, "vcpus" | "memoryBytes" | "cpu"> {
  return {
    vcpus: d.vcpus ?? 1,
    memoryBytes: d.memory === undefined ? 0 : parseSize(d.memory),
    cpu: d.cpu ?? "host-model",
  };
}
