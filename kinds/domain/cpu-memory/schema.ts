import { type Static, Type } from "@sinclair/typebox";
import { choice, list, obj, oneOf, resolvedObject, size } from "../../../policy-primitives/schema-builders.js";
import { CPU_MODES, CPU_NAME_PATTERN, CPU_OBJECT_MODES, HUGEPAGE_SIZES, NUMA_MEMORY_MODES } from "./constants.js";
import { CPUSET_PATTERN } from "./cpuset.js";

export { CPU_MODES, CPU_OBJECT_MODES, HUGEPAGE_SIZES, NUMA_MEMORY_MODES, type HugepageSize } from "./constants.js";

/**
 * The CPU and memory area of the domain kind: vcpus (and their maximum), the CPU (mode,
 * model, features, topology), pinning, NUMA, memory (current and maximum), hugepages and
 * memory locking. Contract for additions: a new spec field is optional and left out by the
 * resolver when the policy does not set it (the spec hash of a guest that does not use it
 * stays the same).
 */

/** A cpuset (`0-3,6`), or a template. */
const cpuset = (description: string) =>
  Type.String({ pattern: `(?:${CPUSET_PATTERN})|\\$\\{`, maxLength: 1024, description });
const count = (description: string) => Type.Integer({ minimum: 1, maximum: 4096, description });
const cpuName = (description: string) => Type.String({ pattern: CPU_NAME_PATTERN, description });

const CpuObjectSchema = obj(
  {
    mode: choice(CPU_OBJECT_MODES, { description: "host-passthrough | host-model | custom." }),
    model: cpuName("The CPU model (mode custom; required there), e.g. Skylake-Server."),
    features: obj(
      {
        require: list(cpuName("a CPU feature"), "Features the guest must get. Default []."),
        disable: list(cpuName("a CPU feature"), "Features the guest must not get. Default []."),
      },
      [],
      { description: "CPU features (compared as sets)." },
    ),
  },
  ["mode"],
);

export const CPU_MEMORY_DOCUMENT_FIELDS = {
  vcpus: count("Required unless state is absent. With maxVcpus: the vCPUs online at boot, changed live up to it."),
  maxVcpus: count("Maximum vCPUs (hot-plug up to it, live). Default: vcpus (no hot-plug)."),
  cpu: Type.Union([choice(CPU_MODES), CpuObjectSchema], {
    description:
      "host-model | host-passthrough, or {mode: host-passthrough|host-model|custom, model, features: {require, disable}}. Default host-model.",
  }),
  topology: obj(
    { sockets: count("sockets"), cores: count("cores per socket"), threads: count("threads per core") },
    ["sockets", "cores", "threads"],
    { description: "CPU topology; sockets × cores × threads must equal maxVcpus (or vcpus)." },
  ),
  pinning: obj(
    {
      vcpus: Type.Record(Type.String({ pattern: "^[0-9]{1,4}$" }), cpuset("host CPUs (e.g. 2 or 0-3,6)"), {
        description: 'vCPU number → the host CPUs it runs on, e.g. {"0": "2", "1": "3"}.',
      }),
      emulator: cpuset("The host CPUs QEMU's own threads run on, e.g. 0-1."),
    },
    [],
    { description: "vCPU and emulator pinning (`<cputune>`)." },
  ),
  numa: obj(
    {
      cells: list(
        obj({ cpus: cpuset("the guest vCPUs of this cell, e.g. 0-1"), memory: size("memory of this cell.") }, [
          "cpus",
          "memory",
        ]),
        "Guest NUMA cells (ids 0, 1, … in order); their memory adds up to maxMemory (or memory).",
      ),
      memoryNodeset: cpuset("The host NUMA nodes the guest's memory comes from, e.g. 0."),
      memoryMode: choice(NUMA_MEMORY_MODES, {
        description: "strict | preferred | interleave | restrictive. Default strict (needs memoryNodeset).",
      }),
    },
    [],
    { description: "Guest NUMA cells and host memory binding." },
  ),
  memory: size(
    "Required unless state is absent; at least 1MiB, a whole number of KiB. With maxMemory: the current (balloon) memory, changed live up to it.",
  ),
  maxMemory: size("Maximum memory (a whole number of KiB). Default: memory (no live change)."),
  hugepages: choice(HUGEPAGE_SIZES, {
    description: "2MiB | 1GiB: back the guest's memory with hugepages of this size (reserved by host.hugepages).",
  }),
  memoryLock: Type.Boolean({ description: "Lock the guest's memory in host RAM. Default false." }),
};

export const CpuFeaturesSpecSchema = resolvedObject({
  /** Sorted, each once. */
  require: Type.Array(Type.String()),
  /** Sorted, each once. */
  disable: Type.Array(Type.String()),
});

export const TopologySpecSchema = resolvedObject({
  sockets: Type.Integer({ minimum: 1 }),
  cores: Type.Integer({ minimum: 1 }),
  threads: Type.Integer({ minimum: 1 }),
});

export const PinningSpecSchema = Type.Object({
  /** vCPU number → canonical cpuset (cpuset.ts). */
  vcpus: Type.Unsafe<Record<string, string>>({ type: "object", additionalProperties: { type: "string" } }),
  /** Canonical cpuset; absent: not pinned. */
  emulator: Type.Optional(Type.String()),
});

export const NumaSpecSchema = Type.Object({
  /** Cell i has id i. cpus canonical. */
  cells: Type.Array(resolvedObject({ cpus: Type.String(), memoryBytes: Type.Integer({ minimum: 0 }) })),
  /** Canonical nodeset; absent: no `<numatune>`. */
  memoryNodeset: Type.Optional(Type.String()),
  /** Present with memoryNodeset (default strict). */
  memoryMode: Type.Optional(oneOf(NUMA_MEMORY_MODES)),
});

export const CPU_MEMORY_SPEC_FIELDS = {
  /** vCPUs at boot (the current count when maxVcpus is set). */
  vcpus: Type.Integer({ minimum: 1 }),
  /** Present only when the policy sets maxVcpus. */
  maxVcpus: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Memory at boot (the current, balloon, memory when maxMemoryBytes is set). */
  memoryBytes: Type.Integer({ minimum: 0 }),
  /** Present only when the policy sets maxMemory. */
  maxMemoryBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  cpu: oneOf(CPU_OBJECT_MODES),
  /** mode custom only. */
  cpuModel: Type.Optional(Type.String()),
  /** Present only when the policy lists features. */
  cpuFeatures: Type.Optional(CpuFeaturesSpecSchema),
  topology: Type.Optional(TopologySpecSchema),
  pinning: Type.Optional(PinningSpecSchema),
  numa: Type.Optional(NumaSpecSchema),
  hugepages: Type.Optional(oneOf(HUGEPAGE_SIZES)),
  /** Present (true) only when the policy says memoryLock: true. */
  memoryLock: Type.Optional(Type.Boolean()),
};

export type CpuFeaturesSpec = Static<typeof CpuFeaturesSpecSchema>;
export type PinningSpec = Static<typeof PinningSpecSchema>;
export type NumaSpec = Static<typeof NumaSpecSchema>;
export type TopologySpec = Static<typeof TopologySpecSchema>;
