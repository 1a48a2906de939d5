import type { CpuFacts } from "../../common/facts.js";
import type { Context } from "./context.js";
import { mapLimit } from "./limit.js";
import { parseCpuinfo, virtualizationFlag, type CpuinfoFacts } from "./parse/cpuinfo.js";
import { parseCpuList } from "./parse/cpulist.js";
import { parseProcModules } from "./parse/proc-modules.js";
import { parseSysInt } from "./parse/sysfs-value.js";

export const KVM_MODULES = ["kvm", "kvm_intel", "kvm_amd"] as const;

/** Online logical CPU ids from sysfs (`devices/system/cpu/online`); shared with the NUMA source. */
export async function onlineCpus(ctx: Context): Promise<number[]> {
  return parseCpuList(await ctx.io.sharedText(ctx.sys("devices/system/cpu/online")));
}

/**
 * CPU facts. Topology comes from sysfs (`topology/physical_package_id`, `core_id` of each
 * online CPU), falling back to /proc/cpuinfo's `physical id`/`core id` when sysfs lacks it.
 * Each part that fails is recorded under `cpu.<part>` and leaves its fields null/empty.
 */
export async function collectCpu(ctx: Context): Promise<CpuFacts> {
  const [info, topo, kvmUsable, kvmModules] = await Promise.all([
    ctx.io
      .sharedText(ctx.proc("cpuinfo"))
      .then(parseCpuinfo)
      .catch((err: unknown) => {
        ctx.fail("cpu.cpuinfo", err);
        return null;
      }),
    topology(ctx).catch((err: unknown) => {
      ctx.fail("cpu.topology", err);
      return null;
    }),
    ctx.io.canOpenReadWrite(ctx.opts.kvmDevice),
    loadedKvmModules(ctx).catch((err: unknown) => {
      ctx.fail("cpu.modules", err);
      return [] as string[];
    }),
  ]);
  const flag = info ? virtualizationFlag(info.flags) : null;
  return {
    model: info?.model ?? null,
    vendor: info?.vendor ?? null,
    sockets: topo?.sockets ?? info?.sockets ?? null,
    cores: topo?.cores ?? info?.cores ?? null,
    threads: topo?.threads ?? nonZero(info),
    virtualization: flag !== null,
    virtualizationFlag: flag,
    kvmUsable,
    kvmModules,
  };
}

function nonZero(info: CpuinfoFacts | null): number | null {
  return info && info.processors > 0 ? info.processors : null;
}

interface Topology {
  threads: number;
  sockets: number | null;
  cores: number | null;
}

async function topology(ctx: Context): Promise<Topology> {
  const cpus = await onlineCpus(ctx);
  const ids = await mapLimit(cpus, ctx.opts.concurrency, async (cpu) => {
    const dir = ctx.sys("devices/system/cpu", `cpu${cpu}`, "topology");
    const [pkg, core] = await Promise.all([
      ctx.io.optional(`${dir}/physical_package_id`),
      ctx.io.optional(`${dir}/core_id`),
    ]);
    return { pkg: pkg === null ? null : parseSysInt(pkg), core: core === null ? null : parseSysInt(core) };
  });
  const complete = ids.length > 0 && ids.every((i) => i.pkg !== null && i.core !== null);
  return {
    threads: cpus.length,
    sockets: complete ? new Set(ids.map((i) => i.pkg)).size : null,
    cores: complete ? new Set(ids.map((i) => `${i.pkg}:${i.core}`)).size : null,
  };
}

/**
 * Which of KVM_MODULES are loaded, per /proc/modules. A kernel without module support has
 * no /proc/modules; then /sys/module/<name> (present for built-in modules with parameters
 * and for loaded ones) is used.
 */
async function loadedKvmModules(ctx: Context): Promise<string[]> {
  const text = await ctx.io.optional(ctx.proc("modules"));
  if (text !== null) {
    const loaded = new Set(parseProcModules(text));
    return KVM_MODULES.filter((m) => loaded.has(m));
  }
  const present = new Set((await ctx.io.listOptional(ctx.sys("module"))) ?? []);
  return KVM_MODULES.filter((m) => present.has(m));
}
