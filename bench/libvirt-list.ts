/**
 * Benchmark: "list all domains + fetch every inactive XML + state" for 50 defined
 * diskless guests, with the libvirt wire client vs. the equivalent virsh commands
 * (one virsh process per call, as a shell script would do it).
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/libvirt-list.js [--guests 50] [--client-runs 15] [--virsh-runs 3]
 * Needs root and a running libvirtd. Defines guests named vft-bench-<hex>-NN and
 * undefines them afterwards. Only the benchmark's own guests are fetched, so other
 * domains on the host do not change the workload.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { promisify } from "node:util";
import { Hypervisor, type DomainRef } from "../libvirt/index.js";
import { intArg } from "./lib/cli-args.js";
import { median } from "./lib/stats.js";

const run = promisify(execFile);

const GUESTS = intArg("guests", 50);
const CLIENT_RUNS = intArg("client-runs", 15);
const VIRSH_RUNS = intArg("virsh-runs", 3);
const prefix = `vft-bench-${randomBytes(3).toString("hex")}-`;

function guestXml(name: string): string {
  return `<domain type='kvm'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type></os><devices><console type='pty'/></devices></domain>`;
}

async function virsh(...args: string[]): Promise<string> {
  const { stdout } = await run("virsh", ["-q", "-c", "qemu:///system", ...args]);
  return stdout;
}

interface Result {
  xmlBytes: number;
  states: string[];
}

/** The wire client, all calls of a step in flight at once on the one connection. */
async function clientPipelined(hv: Hypervisor): Promise<Result> {
  const mine = (await hv.domains()).filter((d) => d.name.startsWith(prefix));
  const rows = await Promise.all(
    mine.map((d) => Promise.all([hv.domainXml(d, { inactive: true }), hv.domainState(d)])),
  );
  return { xmlBytes: rows.reduce((n, [x]) => n + x.length, 0), states: rows.map(([, s]) => s.state) };
}

/** The wire client, one call at a time (what a naive loop would do). */
async function clientSequential(hv: Hypervisor): Promise<Result> {
  const mine = (await hv.domains()).filter((d: DomainRef) => d.name.startsWith(prefix));
  let xmlBytes = 0;
  const states: string[] = [];
  for (const d of mine) {
    xmlBytes += (await hv.domainXml(d, { inactive: true })).length;
    states.push((await hv.domainState(d)).state);
  }
  return { xmlBytes, states };
}

/** virsh, one process per call, as a shell script would. */
async function virshScript(): Promise<Result> {
  const names = (await virsh("list", "--all", "--name"))
    .split("\n")
    .map((l) => l.trim())
    .filter((n) => n.startsWith(prefix));
  let xmlBytes = 0;
  const states: string[] = [];
  for (const n of names) {
    xmlBytes += (await virsh("dumpxml", "--inactive", n)).length;
    states.push((await virsh("domstate", n)).trim());
  }
  return { xmlBytes, states };
}

async function time(runs: number, fn: () => Promise<Result>): Promise<{ ms: number[]; last: Result }> {
  const ms: number[] = [];
  let last: Result = { xmlBytes: 0, states: [] };
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    last = await fn();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { ms, last };
}

async function main(): Promise<void> {
  const hv = await Hypervisor.open();
  try {
    for (let i = 0; i < GUESTS; i++) await hv.defineDomain(guestXml(`${prefix}${String(i).padStart(2, "0")}`));
    await clientPipelined(hv); // warm-up
    const pipelined = await time(CLIENT_RUNS, () => clientPipelined(hv));
    const sequential = await time(CLIENT_RUNS, () => clientSequential(hv));
    const script = await time(VIRSH_RUNS, virshScript);
    for (const r of [pipelined.last, sequential.last, script.last]) {
      if (r.states.length !== GUESTS) throw new Error(`expected ${GUESTS} guests, got ${r.states.length}`);
    }
    const v = await hv.version();
    const rows = [
      { name: "wire client, concurrent calls", runs: CLIENT_RUNS, med: median(pipelined.ms) },
      { name: "wire client, sequential calls", runs: CLIENT_RUNS, med: median(sequential.ms) },
      { name: "virsh, one process per call", runs: VIRSH_RUNS, med: median(script.ms) },
    ];
    console.log(`libvirt client vs virsh: ${GUESTS} guests, list all + inactive XML + state (${1 + 2 * GUESTS} calls)`);
    console.log(
      `host: ${os.cpus().length} cores, ${os.type()} ${os.release()}, libvirt ${v.libvirt}, ${v.hypervisor} ${v.hypervisorVersion}, node ${process.version}`,
    );
    console.log("");
    console.log("| method | runs | median ms | vs virsh |");
    console.log("|---|---:|---:|---:|");
    const virshMed = rows[2]!.med;
    for (const r of rows)
      console.log(`| ${r.name} | ${r.runs} | ${r.med.toFixed(1)} | ${(virshMed / r.med).toFixed(1)}× |`);
  } finally {
    for (const d of await hv.domains()) {
      if (d.name.startsWith(prefix)) await hv.undefineDomain(d).catch(() => {});
    }
    await hv.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
