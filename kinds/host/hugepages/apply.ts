import { VirtfleetError } from "../../../common/errors.js";
import type { FieldChange } from "../../../engine/index.js";
import { HOST_HUGEPAGE_KIB, HOST_HUGEPAGE_SIZES, type HostHugepages } from "./sizes.js";
import { readHugepagePool, writeHugepageCount } from "./sysfs.js";

/**
 * `host.hugepages`: for each size the spec sets, the kernel's persistent pool must hold that
 * many pages. Drift is a different `nr_hugepages`; with `apply` it is written and read back
 * (the field `hugepages.<size>`, class live). A size the kernel lacks is an error naming the
 * host and the field unless the spec asks for 0 of it (nothing to reserve). When the kernel
 * reserves fewer pages than asked (not enough contiguous free memory), the previous count
 * is restored and the run fails naming the host, the field and both counts. Pages in use
 * by guests are never freed by the kernel, so lowering a count below what guests use leaves
 * the surplus in use until they stop (the kernel's own rule).
 */
export async function checkApplyHugepages(
  sysRoot: string,
  want: HostHugepages | undefined,
  apply: boolean,
  host: string,
): Promise<FieldChange[]> {
  const changes: FieldChange[] = [];
  for (const size of HOST_HUGEPAGE_SIZES) {
    const count = want?.[size];
    if (count === undefined) continue;
    const field = `hugepages.${size}`;
    const pool = await readHugepagePool(sysRoot, size);
    if (pool === null) {
      if (count === 0) continue;
      throw new VirtfleetError(
        "HOST_HUGEPAGES",
        `host.hugepages["${size}"]: ${host} has no ${size} hugepages (the kernel offers no /sys/kernel/mm/hugepages/hugepages-${HOST_HUGEPAGE_KIB[size]}kB); nothing was changed`,
      );
    }
    if (pool.total === count) continue;
    if (apply) {
      try {
        await writeHugepageCount(sysRoot, size, count);
      } catch (err) {
        throw new VirtfleetError(
          "HOST_HUGEPAGES",
          `host.hugepages["${size}"]: cannot reserve ${count} pages on ${host}: ${(err as Error).message}`,
          { cause: err },
        );
      }
      const now = (await readHugepagePool(sysRoot, size))?.total ?? 0;
      if (now !== count && count > pool.total) {
        await writeHugepageCount(sysRoot, size, pool.total).catch(() => undefined);
        throw new VirtfleetError(
          "HOST_HUGEPAGES",
          `host.hugepages["${size}"]: ${host} reserved only ${now} of ${count} ${size} pages (not enough contiguous free memory); the previous ${pool.total} were restored`,
        );
      }
    }
    changes.push({ field, from: pool.total, to: count, disruption: "live" });
  }
  return changes;
}
