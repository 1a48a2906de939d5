import type { MemoryFacts } from "../../common/facts.js";
import type { Context } from "./context.js";
import { mapLimit } from "./limit.js";
import { parseHugepageDirName } from "./parse/hugepages.js";
import { parseMeminfo } from "../../common/proc-meminfo.js";
import { parseSysInt } from "./parse/sysfs-value.js";

/** /proc/meminfo as bytes per key; shared with the NUMA source. */
export async function meminfo(ctx: Context): Promise<Map<string, number>> {
  return parseMeminfo(await ctx.io.sharedText(ctx.proc("meminfo")));
}

/**
 * Memory totals from /proc/meminfo (failure: `memory`) and hugepage pools from
 * /sys/kernel/mm/hugepages (failure: `memory.hugepages`), pools ordered by page size.
 */
export async function collectMemory(ctx: Context): Promise<MemoryFacts> {
  const [mem, hugepages] = await Promise.all([
    meminfo(ctx).catch((err: unknown) => {
      ctx.fail("memory", err);
      return null;
    }),
    hugepagePools(ctx).catch((err: unknown) => {
      ctx.fail("memory.hugepages", err);
      return [];
    }),
  ]);
  return {
    totalBytes: mem?.get("MemTotal") ?? null,
    freeBytes: mem?.get("MemFree") ?? null,
    availableBytes: mem?.get("MemAvailable") ?? null,
    hugepages,
  };
}

async function hugepagePools(ctx: Context): Promise<MemoryFacts["hugepages"]> {
  const root = ctx.sys("kernel/mm/hugepages");
  const names = (await ctx.io.listOptional(root)) ?? [];
  const sized = names
    .map((name) => ({ name, sizeBytes: parseHugepageDirName(name) }))
    .filter((e) => e.sizeBytes !== null);
  const pools = await mapLimit(sized, ctx.opts.concurrency, async ({ name, sizeBytes }) => {
    const [total, free] = await Promise.all([
      ctx.io.text(`${root}/${name}/nr_hugepages`),
      ctx.io.text(`${root}/${name}/free_hugepages`),
    ]);
    return { sizeBytes: sizeBytes as number, total: parseSysInt(total) ?? 0, free: parseSysInt(free) ?? 0 };
  });
  return pools.sort((a, b) => a.sizeBytes - b.sizeBytes);
}
