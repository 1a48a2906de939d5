import type { DiskFacts } from "../../common/facts.js";
import type { Context } from "./context.js";
import { mapLimit } from "./limit.js";
import { parseSysInt, parseSysString } from "./parse/sysfs-value.js";

/** Block device names that are never physical storage: memory/loop/network-backed, optical, floppy. */
const SKIP_NAME = /^(loop|ram|zram|nbd|sr|fd|md\d+p|dm-|rbd|drbd)/;

/** True for /sys/block names worth reporting (not loop, ram, zram, device-mapper, …). */
export function isReportableBlockName(name: string): boolean {
  return !SKIP_NAME.test(name);
}

/**
 * Whole block devices under /sys/block that hold storage: name-filtered (see
 * isReportableBlockName), devices under /sys/devices/virtual other than md RAID arrays
 * skipped, zero-sized (no medium) skipped. Ordered by name. Size is `size` × 512
 * (the kernel always counts 512-byte sectors there).
 */
export async function collectDisks(ctx: Context): Promise<DiskFacts[]> {
  const root = ctx.sys("block");
  const names = ((await ctx.io.listOptional(root)) ?? []).filter(isReportableBlockName).sort();
  const disks = await mapLimit(names, ctx.opts.concurrency, async (name): Promise<DiskFacts | null> => {
    const dir = `${root}/${name}`;
    const link = await ctx.io.readlink(dir);
    if (link !== null && link.includes("/devices/virtual/") && !name.startsWith("md")) return null;
    const [size, rotational, model] = await Promise.all([
      ctx.io.optional(`${dir}/size`),
      ctx.io.optional(`${dir}/queue/rotational`),
      ctx.io.optional(`${dir}/device/model`),
    ]);
    const sectors = size === null ? null : parseSysInt(size);
    if (sectors === null || sectors <= 0) return null;
    const rot = rotational === null ? null : parseSysInt(rotational);
    return {
      name,
      sizeBytes: sectors * 512,
      rotational: rot === null ? null : rot !== 0,
      model: model === null ? null : parseSysString(model),
    };
  });
  return disks.filter((d): d is DiskFacts => d !== null);
}
