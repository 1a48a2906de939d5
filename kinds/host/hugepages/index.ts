/** Hugepages of the host kind (`host.hugepages`): schema, claims and merge, the sysfs pools, and their check/repair. */
export { HOST_HUGEPAGE_KIB, HOST_HUGEPAGE_SIZES, type HostHugepageSize, type HostHugepages } from "./sizes.js";
export { checkApplyHugepages } from "./apply.js";
export { readHugepagePool, writeHugepageCount, hugepageDir, type HugepagePool } from "./sysfs.js";
