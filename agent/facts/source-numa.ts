import type { NumaFacts } from "../../common/facts.js";
import type { Context } from "./context.js";
import { mapLimit } from "./limit.js";
import { parseCpuList } from "./parse/cpulist.js";
import { parseNodeMeminfo } from "../../common/proc-meminfo.js";
import { onlineCpus } from "./source-cpu.js";
import { meminfo } from "./source-memory.js";

/**
 * NUMA cells from /sys/devices/system/node/node<N>/{cpulist,meminfo}, ordered by id.
 * A kernel without NUMA (no node directories) is reported as one cell 0 holding every
 * online CPU and the memory of /proc/meminfo. A cell whose files fail keeps nulls and
 * records `numa`.
 */
export async function collectNuma(ctx: Context): Promise<NumaFacts> {
  const root = ctx.sys("devices/system/node");
  const entries = (await ctx.io.listOptional(root)) ?? [];
  const ids = entries
    .map((e) => /^node(\d+)$/.exec(e))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);

  if (ids.length === 0) {
    const [cpus, mem] = await Promise.all([
      onlineCpus(ctx).catch((err: unknown) => {
        ctx.fail("numa", err);
        return [] as number[];
      }),
      meminfo(ctx).catch(() => null),
    ]);
    return {
      nodes: 1,
      cells: [
        { id: 0, cpus, memoryTotalBytes: mem?.get("MemTotal") ?? null, memoryFreeBytes: mem?.get("MemFree") ?? null },
      ],
    };
  }

  const cells = await mapLimit(ids, ctx.opts.concurrency, async (id) => {
    const dir = `${root}/node${id}`;
    const [cpus, mem] = await Promise.all([
      ctx.io
        .text(`${dir}/cpulist`)
        .then(parseCpuList)
        .catch((err: unknown) => {
          ctx.fail("numa", new Error(`node${id}/cpulist`, { cause: err }));
          return [] as number[];
        }),
      ctx.io
        .text(`${dir}/meminfo`)
        .then(parseNodeMeminfo)
        .catch((err: unknown) => {
          ctx.fail("numa", new Error(`node${id}/meminfo`, { cause: err }));
          return null;
        }),
    ]);
    return { id, cpus, memoryTotalBytes: mem?.get("MemTotal") ?? null, memoryFreeBytes: mem?.get("MemFree") ?? null };
  });
  return { nodes: cells.length, cells };
}
