/**
 * Benchmark (issue 4, item 9): converge N tiny guests (define + start) from nothing with
 * the engine, then re-check them with nothing to do. Baseline, measured in the same run:
 * the same re-check done with virsh the way a script (or an Ansible `virt` task per guest)
 * would: `dumpxml --inactive`, `domstate` and `dominfo` per guest, one process per call.
 *
 * Run: npm run build && node dist/bench/converge.js [--guests 20] [--runs 5]
 * Needs root and a running libvirtd. Guests are named vft-bconv-<hex>-NN and removed afterwards.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { converge, DEFAULT_ENGINE_OPTIONS, type EngineReport } from "../engine/index.js";
import { Hypervisor } from "../libvirt/index.js";
import { detectDomainEnv, resourcesFromPolicies } from "../kinds/index.js";
import { silentLogger, type DomainSpec, type ResolvedPolicy } from "../common/index.js";
import { intArg } from "./lib/cli-args.js";
import { median } from "./lib/stats.js";
import { resolvedPolicy, tinyDomainSpec } from "../test/harness/specs.js";

const run = promisify(execFile);

const GUESTS = intArg("guests", 20);
const RUNS = intArg("runs", 5);
const prefix = `vft-bconv-${randomBytes(3).toString("hex")}-`;

function guest(i: number, state: DomainSpec["state"]): DomainSpec {
  return tinyDomainSpec(`${prefix}${String(i).padStart(2, "0")}`, { state });
}

function policy(state: DomainSpec["state"]): ResolvedPolicy {
  return resolvedPolicy("bench", { domains: Array.from({ length: GUESTS }, (_, i) => guest(i, state)) });
}

async function timed(f: () => Promise<EngineReport>): Promise<{ ms: number; report: EngineReport }> {
  const t = performance.now();
  const report = await f();
  return { ms: performance.now() - t, report };
}

async function virshRecheck(names: string[]): Promise<void> {
  for (const n of names) {
    await run("virsh", ["-q", "-c", "qemu:///system", "dumpxml", "--inactive", n]);
    await run("virsh", ["-q", "-c", "qemu:///system", "domstate", n]);
    await run("virsh", ["-q", "-c", "qemu:///system", "dominfo", n]);
  }
}

async function main(): Promise<void> {
  const hv = await Hypervisor.open();
  const domainEnv = await detectDomainEnv();
  const ctx = { hv, log: silentLogger(), shutdownTimeoutMs: 5_000 };
  const engine = (state: DomainSpec["state"], apply: boolean) =>
    converge(resourcesFromPolicies([policy(state)], { ctx, domainEnv }), { ...DEFAULT_ENGINE_OPTIONS, apply });
  const names = policy("running").resources.domains.map((d) => d.name);
  const fromNothing: number[] = [];
  const recheck: number[] = [];
  const virshTimes: number[] = [];
  const virshCreate: number[] = [];
  try {
    for (let r = 0; r < Math.max(3, Math.ceil(RUNS / 2)); r++) {
      const c = await timed(() => engine("running", true));
      if (c.report.summary.changed !== GUESTS)
        throw new Error(`expected ${GUESTS} changed, got ${JSON.stringify(c.report.summary)}`);
      fromNothing.push(c.ms);
      for (let k = 0; k < RUNS; k++) {
        const again = await timed(() => engine("running", true));
        if (again.report.summary.ok !== GUESTS)
          throw new Error(`re-check not in sync: ${JSON.stringify(again.report.summary)}`);
        recheck.push(again.ms);
      }
      const t = performance.now();
      await virshRecheck(names);
      virshTimes.push(performance.now() - t);
      const xmls = await Promise.all(
        names.map((n) =>
          run("virsh", ["-q", "-c", "qemu:///system", "dumpxml", "--inactive", n]).then((r) => r.stdout),
        ),
      );
      const gone = await timed(() => engine("absent", true));
      if (gone.report.summary.failed > 0) throw new Error("cleanup failed");
      // Baseline for "from nothing": the same definitions created and started with virsh, one guest after another.
      const dir = await mkdtemp(join(tmpdir(), "vft-bconv-"));
      try {
        const files = await Promise.all(
          xmls.map(async (x, i) => {
            const f = join(dir, `${i}.xml`);
            await writeFile(f, x.replace(/<uuid>[^<]*<\/uuid>/, ""));
            return f;
          }),
        );
        const t0 = performance.now();
        for (let i = 0; i < names.length; i++) {
          await run("virsh", ["-q", "-c", "qemu:///system", "define", files[i]!]);
          await run("virsh", ["-q", "-c", "qemu:///system", "start", names[i]!]);
        }
        virshCreate.push(performance.now() - t0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      const gone2 = await timed(() => engine("absent", true));
      if (gone2.report.summary.failed > 0) throw new Error("cleanup failed");
    }
  } finally {
    for (const n of names) {
      await run("virsh", ["destroy", n]).catch(() => undefined);
      await run("virsh", ["undefine", n]).catch(() => undefined);
    }
    await hv.close();
  }
  const rows: [string, number, number, number][] = [
    [
      `converge ${GUESTS} guests from nothing (engine: define + start)`,
      fromNothing.length,
      median(fromNothing),
      median(virshCreate),
    ],
    [
      `same with virsh define + start, one guest after another`,
      virshCreate.length,
      median(virshCreate),
      median(virshCreate),
    ],
    [`re-check ${GUESTS} in-sync guests (engine, apply)`, recheck.length, median(recheck), median(virshTimes)],
    [
      `same re-check with virsh (dumpxml, domstate, dominfo per guest)`,
      virshTimes.length,
      median(virshTimes),
      median(virshTimes),
    ],
  ];
  console.log(
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, node ${process.version}, date ${new Date().toISOString().slice(0, 10)}`,
  );
  console.log("| workload | runs | median ms | speed-up vs its virsh baseline |");
  console.log("|---|---:|---:|---:|");
  for (const [what, n, ms, base] of rows)
    console.log(`| ${what} | ${n} | ${ms.toFixed(1)} | ${(base / ms).toFixed(1)}× |`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
