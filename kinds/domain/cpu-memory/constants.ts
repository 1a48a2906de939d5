/** The CPU and memory area's value sets, without TypeBox (the agent face imports them; schema.ts builds on them). */

/** The CPU modes the string form of `cpu` takes. */
export const CPU_MODES = ["host-model", "host-passthrough"] as const;
/** The CPU modes of the object form (and of a resolved spec). */
export const CPU_OBJECT_MODES = ["host-passthrough", "host-model", "custom"] as const;
export const HUGEPAGE_SIZES = ["2MiB", "1GiB"] as const;
export type HugepageSize = (typeof HUGEPAGE_SIZES)[number];
/** `<numatune><memory mode>`. */
export const NUMA_MEMORY_MODES = ["strict", "preferred", "interleave", "restrictive"] as const;
/** A CPU model or feature name as libvirt's CPU map spells them (`Skylake-Server`, `pcid`, `avx512f`, `sse4.2`). */
export const CPU_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$";
