import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { HOST_HUGEPAGE_KIB, type HostHugepageSize } from "./sizes.js";

/**
 * The kernel's hugepage pools under SYS/kernel/mm/hugepages/hugepages-<kB>kB: `nr_hugepages`
 * (the persistent pool; writing it reserves or releases pages) and `free_hugepages`. A size the
 * kernel does not support (no directory, e.g. 1 GiB pages without `pdpe1gb`) reads as null.
 */
export function hugepageDir(sysRoot: string, size: HostHugepageSize): string {
  return join(sysRoot, "kernel", "mm", "hugepages", `hugepages-${HOST_HUGEPAGE_KIB[size]}kB`);
}

export interface HugepagePool {
  total: number;
  free: number;
}

export async function readHugepagePool(sysRoot: string, size: HostHugepageSize): Promise<HugepagePool | null> {
  const dir = hugepageDir(sysRoot, size);
  try {
    const [total, free] = await Promise.all([
      readFile(join(dir, "nr_hugepages"), "utf8"),
      readFile(join(dir, "free_hugepages"), "utf8"),
    ]);
    return { total: Number(total.trim()), free: Number(free.trim()) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Asks the kernel for `count` persistent pages of `size`; it may reserve fewer (fragmented memory): read it back. */
export async function writeHugepageCount(sysRoot: string, size: HostHugepageSize, count: number): Promise<void> {
  await writeFile(join(hugepageDir(sysRoot, size), "nr_hugepages"), String(count));
}
