/**
 * Benchmark (issue 8, item 5): convergence speed side by side. N tiny guests (default 20)
 * converged from nothing (define + start) and then re-checked when in sync, by
 *
 *   (a) virtfleet: the real CLI process, `node dist/bin/virtfleet.js apply POLICY.yaml --local --json`,
 *       timed end to end (process start to exit), then the same command again (the re-check,
 *       which must change nothing);
 *   (b) Ansible: `ansible-playbook bench/ansible/converge.yml` (localhost, connection local)
 *       with community.libvirt.virt — `command: define` with the domain XML, then
 *       `state: running` — timed end to end, then the same playbook again (the re-check).
 *
 * Both get the exact same definitions: the policy is loaded and resolved the way `apply`
 * does it, and the XML Ansible defines is built by virtfleet's own builder from the same
 * resolved specs (same name, memory, vCPU, CPU mode, devices and metadata; no UUID, so
 * libvirt assigns one for both). After each converge the driver checks that every guest
 * runs and that the stored inactive definitions of both tools are identical (UUID aside).
 *
 * Each round: virtfleet converge, virtfleet re-check, cleanup, Ansible converge, Ansible
 * re-check, cleanup — with the order of the two tools alternating from round to round.
 * Cleanup (not timed) destroys and undefines only guests named vft-bans-<hex>-NN (this
 * run's own prefix), also on failure, SIGINT and SIGTERM.
 *
 * With `--rechecks N`, each tool re-checks N times per round (the re-check figures are the
 * median over all of them). With `--baseline-cli PATH` (the shipped CLI of another build, e.g.
 * an earlier commit's `dist/bin/virtfleet.js`), that CLI's re-check is timed too, alternating
 * with the current one on the same converged guests: a before/after of the same workload.
 *
 * Run: npm run build && bash bench/ansible/setup.sh && node dist/bench/ansible-vs-apply.js [--guests 20] [--runs 3] [--rechecks 1] [--baseline-cli PATH] [--json]
 * Needs root, a running libvirtd (scripts/setup-libvirt.sh) and ansible + python3-libvirt +
 * python3-lxml (bench/ansible/setup.sh installs them; they are not project dependencies).
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os, { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Hypervisor } from "../libvirt/index.js";
import { detectDomainEnv } from "../kinds/index.js";
import { domainSpecHash } from "../kinds/domain/resource.js";
import { buildDomainXml } from "../kinds/index.js";
import { loadPolicies, resolveHostPolicies, type DomainSpec } from "../common/index.js";
import { tinyDomainSpec } from "../test/harness/specs.js";
import { intArg } from "./lib/cli-args.js";
import { median } from "./lib/stats.js";
import { SHIPPED_CLI as cliMain } from "./lib/shipped-cli.js";

const execFileP = promisify(execFile);

const GUESTS = intArg("guests", 20);
const RUNS = intArg("runs", 3);
const RECHECKS = intArg("rechecks", 1);
const BASELINE_CLI = (() => {
  const i = process.argv.indexOf("--baseline-cli");
  return i >= 0 ? process.argv[i + 1] : undefined;
})();
const JSON_OUT = process.argv.includes("--json");
const hex = randomBytes(3).toString("hex");
const prefix = `vft-bans-${hex}-`;
const policyName = `vft-bans-${hex}`;
const names = Array.from({ length: GUESTS }, (_, i) => `${prefix}${String(i).padStart(2, "0")}`);

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const playbook = join(repoRoot, "bench/ansible/converge.yml");
const CHILD_TIMEOUT_MS = 15 * 60_000;

type Tool = "virtfleet" | "ansible";

interface Step {
  ms: number;
  /** What the tool said it changed: virtfleet summary.changed; Ansible recap changed= (tasks). */
  changed: number;
  /** Ansible only: per-item "changed:" lines (loop items). */
  changedItems?: number;
  /** virtfleet only: the engine's own durationMs from the JSON report. */
  engineMs?: number;
  /** Resources / tasks reported changed on this step (names), for perpetual-diff reporting. */
  changedWhat: string[];
}

interface Round {
  round: number;
  order: Tool[];
  virtfleet?: { converge: Step; rechecks: Step[] };
  ansible?: { converge: Step; rechecks: Step[] };
  /** `--baseline-cli`: that CLI's re-checks of virtfleet's converged guests. */
  baseline?: Step[];
  cleanupMs: Partial<Record<Tool, number>>;
}

const log = (msg: string) => process.stderr.write(`[ansible-vs-apply] ${msg}\n`);

// ---- child processes, interruptible ----

let current: ChildProcess | null = null;
let interrupted: NodeJS.Signals | null = null;

function onSignal(sig: NodeJS.Signals): void {
  if (interrupted) {
    log(`second ${sig}: exiting without waiting for cleanup (guests named ${prefix}* may remain)`);
    process.exit(130);
  }
  interrupted = sig;
  log(`${sig}: stopping the running tool, then removing ${prefix}* guests`);
  killCurrent();
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

/** SIGTERM to the running tool's whole process group (ansible-playbook's module workers too). */
function killCurrent(): void {
  const pid = current?.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    current?.kill("SIGTERM");
  }
}

function checkInterrupted(): void {
  if (interrupted) throw new Error(`interrupted by ${interrupted}`);
}

interface RunResult {
  ms: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runTimed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  checkInterrupted();
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // Its own process group, so an interruption can stop the tool with everything it started.
    const child = spawn(cmd, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    current = child;
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, CHILD_TIMEOUT_MS);
    child.on("error", (err) => {
      clearTimeout(timer);
      current = null;
      reject(err);
    });
    child.on("close", (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      current = null;
      resolve({ ms, code, signal, stdout, stderr });
    });
  });
}

/** An error with the output's tail; the whole output goes to a log file kept after the run. */
function failure(what: string, r: RunResult): Error {
  const tail = (s: string) => s.trim().split("\n").slice(-25).join("\n");
  const file = join(tmpdir(), `${prefix}failure-${Date.now()}.log`);
  writeFileSync(
    file,
    `${what}: exit ${r.code ?? r.signal} after ${r.ms.toFixed(0)} ms\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}\n`,
  );
  return new Error(
    `${what}: exit ${r.code ?? r.signal} (full output in ${file})\n--- stdout ---\n${tail(r.stdout)}\n--- stderr ---\n${tail(r.stderr)}`,
  );
}

// ---- the two tools ----

interface ApplyJson {
  summary: { ok: number; changed: number; drift: number; failed: number; skipped: number };
  resources: {
    kind: string;
    name: string;
    outcome: string;
    changes: { field: string; from: unknown; to: unknown }[];
  }[];
  durationMs: number;
}

async function virtfleetApply(policyFile: string, what: string, cli = cliMain): Promise<Step> {
  const r = await runTimed(process.execPath, [cli, "apply", policyFile, "--local", "--json"]);
  checkInterrupted();
  if (r.code !== 0) throw failure(`virtfleet ${what}`, r);
  let doc: ApplyJson;
  try {
    doc = JSON.parse(r.stdout) as ApplyJson;
  } catch {
    throw failure(`virtfleet ${what}: stdout is not one JSON document`, r);
  }
  if (doc.summary.failed > 0 || doc.summary.skipped > 0)
    throw failure(`virtfleet ${what}: ${JSON.stringify(doc.summary)}`, r);
  const changedWhat = doc.resources
    .filter((x) => x.outcome === "changed")
    .map(
      (x) =>
        `${x.kind}/${x.name}: ${x.changes.map((c) => `${c.field} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join(", ")}`,
    );
  return { ms: r.ms, changed: doc.summary.changed, engineMs: doc.durationMs, changedWhat };
}

const ANSIBLE_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  ANSIBLE_NOCOLOR: "1",
  ANSIBLE_FORCE_COLOR: "0",
  ANSIBLE_RETRY_FILES_ENABLED: "0",
  ANSIBLE_LOCALHOST_WARNING: "0",
  ANSIBLE_INVENTORY_UNPARSED_WARNING: "0",
  ANSIBLE_STDOUT_CALLBACK: "default",
};

async function ansiblePlaybook(inventory: string, varsFile: string, what: string): Promise<Step> {
  const r = await runTimed("ansible-playbook", ["-i", inventory, playbook, "-e", `@${varsFile}`], ANSIBLE_ENV);
  checkInterrupted();
  if (r.code !== 0) throw failure(`ansible-playbook ${what}`, r);
  const recap = /^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/m.exec(r.stdout);
  if (!recap) throw failure(`ansible-playbook ${what}: no PLAY RECAP line for localhost`, r);
  if (Number(recap[3]) > 0 || Number(recap[4]) > 0) throw failure(`ansible-playbook ${what}: ${recap[0]}`, r);
  // Default callback: "TASK [name] ****" then one "changed: [localhost] => (item=…)" per changed loop item.
  const changedWhat: string[] = [];
  let task = "";
  let items = 0;
  for (const line of r.stdout.split("\n")) {
    const t = /^TASK \[(.*)\]/.exec(line);
    if (t) task = t[1]!;
    if (line.startsWith("changed: [localhost]")) {
      items++;
      changedWhat.push(`${task}: ${line.replace(/^changed: \[localhost\]\s*(=>\s*)?/, "")}`);
    }
  }
  return { ms: r.ms, changed: Number(recap[2]), changedItems: items, changedWhat };
}

// ---- libvirt checks and cleanup (never timed) ----

function stripUuid(xml: string): string {
  return xml.replace(/\s*<uuid>[^<]*<\/uuid>/, "");
}

/** Every guest exists and runs; returns the inactive definitions (UUID removed) by name. */
async function verifyRunning(tool: Tool): Promise<Map<string, string>> {
  const hv = await Hypervisor.open();
  try {
    const defs = new Map<string, string>();
    await Promise.all(
      names.map(async (n) => {
        const st = await hv.domainState(n);
        if (st.state !== "running") throw new Error(`${tool}: guest ${n} is ${st.state} after converge`);
        defs.set(n, stripUuid(await hv.domainXml(n, { inactive: true })));
      }),
    );
    return defs;
  } finally {
    await hv.close();
  }
}

/** Destroys and undefines every guest with this run's prefix (and nothing else). */
async function cleanup(): Promise<number> {
  const t0 = performance.now();
  const hv = await Hypervisor.open();
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const mine = (await hv.domains()).filter((d) => d.name.startsWith(prefix));
      if (mine.length === 0) return performance.now() - t0;
      const queue = [...mine];
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let d = queue.shift(); d; d = queue.shift()) {
            if (await hv.domainIsActive(d).catch(() => false)) await hv.destroyDomain(d).catch(() => undefined);
            await hv.undefineDomain(d, { nvram: true }).catch(() => undefined);
          }
        }),
      );
    }
    const left = (await hv.domains()).filter((d) => d.name.startsWith(prefix)).map((d) => d.name);
    if (left.length) throw new Error(`cleanup left guests behind: ${left.join(", ")}`);
    return performance.now() - t0;
  } finally {
    await hv.close();
  }
}

// ---- set-up ----

function policyYaml(): string {
  const lines = [
    "apiVersion: virtfleet/v1",
    "kind: Policy",
    "metadata:",
    `  name: ${policyName}`,
    "spec:",
    "  mode: enforce",
    "  resources:",
    "    domains:",
  ];
  for (const n of names) {
    lines.push(
      `      - {name: ${n}, vcpus: 1, memory: 64MiB, cpu: host-model, disks: [], cdroms: [], interfaces: [], graphics: none, autostart: false, state: running}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The specs exactly as `apply --local` resolves them from the policy file. */
async function resolvedDomains(policyFile: string): Promise<DomainSpec[]> {
  const loaded = await loadPolicies([policyFile]);
  if (loaded.errors.length) throw new Error(`policy errors: ${JSON.stringify(loaded.errors)}`);
  const host = resolveHostPolicies(loaded.policies, loaded.inventory, { name: hostname() });
  if (host.errors.length || host.conflicts.length) throw new Error("policy does not resolve for this host");
  const domains = host.policies.flatMap((p) => p.resources.domains);
  if (domains.length !== GUESTS) throw new Error(`expected ${GUESTS} domains, resolved ${domains.length}`);
  for (const d of domains) {
    // The policy is the test harness's tiny diskless guest, field for field.
    if (domainSpecHash(d) !== domainSpecHash(tinyDomainSpec(d.name)))
      throw new Error(`${d.name}: resolved spec differs from tinyDomainSpec`);
  }
  return domains;
}

async function cmdOut(cmd: string, args: string[]): Promise<string> {
  try {
    return (await execFileP(cmd, args, { env: ANSIBLE_ENV })).stdout.trim();
  } catch {
    return "?";
  }
}

interface MachineInfo {
  nproc: number;
  cpu: string;
  kernel: string;
  memoryMiB: number;
  node: string;
  libvirt: string;
  hypervisor: string;
  ansible: string;
  communityLibvirt: string;
  loadavgAtStart: number[];
  /** Guests of others (not this run's prefix) running on this libvirtd when the run started. */
  otherRunningGuestsAtStart: number;
}

async function otherRunningGuests(): Promise<number> {
  const hv = await Hypervisor.open();
  try {
    return (await hv.domains()).filter((d) => d.id >= 0 && !d.name.startsWith(prefix)).length;
  } finally {
    await hv.close();
  }
}

async function machineInfo(): Promise<MachineInfo> {
  const hv = await Hypervisor.open();
  const v = await hv.version().finally(() => hv.close());
  const galaxy = await cmdOut("ansible-galaxy", ["collection", "list", "community.libvirt"]);
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? "?",
    kernel: os.release(),
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    libvirt: v.libvirt,
    hypervisor: `${v.hypervisor} ${v.hypervisorVersion}`,
    ansible: (await cmdOut("ansible", ["--version"])).split("\n")[0] ?? "?",
    communityLibvirt: /community\.libvirt\s+(\S+)/.exec(galaxy)?.[1] ?? "?",
    loadavgAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
    otherRunningGuestsAtStart: await otherRunningGuests(),
  };
}

// ---- report ----

interface Stats {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

function stats(xs: number[]): Stats {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs.map((x) => Math.round(x)) };
}

const s1 = (ms: number) => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
  const started = new Date();
  const machine = await machineInfo();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const rounds: Round[] = [];
  let identical = true;
  let failed: string | null = null;
  const mismatches: string[] = [];
  try {
    const policyFile = join(dir, "policy.yaml");
    await writeFile(policyFile, policyYaml());
    const specs = await resolvedDomains(policyFile);
    const env = await detectDomainEnv();
    const xmlDir = join(dir, "xml");
    await mkdir(xmlDir);
    for (const spec of specs) {
      const xml = buildDomainXml(spec, {
        domainType: env.domainType,
        cpuDisabledFeatures: env.cpuDisabledFeatures,
        diskPaths: new Map(),
        cdromPaths: new Map(),
        specHash: domainSpecHash(spec),
        policy: policyName,
      });
      await writeFile(join(xmlDir, `${spec.name}.xml`), xml);
    }
    // An empty ansible.cfg of our own: no ansible.cfg from the working folder or ~ applies.
    ANSIBLE_ENV.ANSIBLE_CONFIG = join(dir, "ansible.cfg");
    await writeFile(ANSIBLE_ENV.ANSIBLE_CONFIG, "");
    const inventory = join(dir, "inventory.ini");
    await writeFile(inventory, "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n");
    const varsFile = join(dir, "vars.json");
    await writeFile(varsFile, JSON.stringify({ vft_guests: names, vft_xml_dir: xmlDir }));

    // Untimed warm-up of both tools' files in the page cache (nothing on libvirt changes).
    await runTimed(process.execPath, [cliMain, "apply", policyFile, "--local", "--dry-run", "--json"]);
    await runTimed(
      "ansible-playbook",
      ["-i", inventory, playbook, "-e", `@${varsFile}`, "--syntax-check"],
      ANSIBLE_ENV,
    );
    await cleanup();

    const reference = new Map<string, string>();
    const compare = (tool: Tool, defs: Map<string, string>) => {
      for (const [n, xml] of defs) {
        const ref = reference.get(n);
        if (ref === undefined) reference.set(n, xml);
        else if (ref !== xml) {
          identical = false;
          if (mismatches.length < 3) mismatches.push(`${tool} ${n}:\n--- first seen ---\n${ref}\n--- now ---\n${xml}`);
        }
      }
    };

    try {
      for (let r = 0; r < RUNS; r++) {
        const order: Tool[] = r % 2 === 0 ? ["virtfleet", "ansible"] : ["ansible", "virtfleet"];
        const round: Round = { round: r + 1, order, cleanupMs: {} };
        rounds.push(round);
        for (const tool of order) {
          checkInterrupted();
          log(`round ${r + 1}/${RUNS}: ${tool} converge ${GUESTS} guests from nothing`);
          const converge =
            tool === "virtfleet"
              ? await virtfleetApply(policyFile, "converge")
              : await ansiblePlaybook(inventory, varsFile, "converge");
          const expected = tool === "virtfleet" ? converge.changed === GUESTS : converge.changedItems === 2 * GUESTS;
          if (!expected)
            throw new Error(
              `${tool} converge changed ${converge.changed} (items ${converge.changedItems ?? "-"}), expected all ${GUESTS} guests`,
            );
          compare(tool, await verifyRunning(tool));
          log(`round ${r + 1}/${RUNS}: ${tool} converge ${s1(converge.ms)} s; re-check ×${RECHECKS}`);
          const rechecks: Step[] = [];
          for (let k = 0; k < RECHECKS; k++) {
            const baselineFirst = BASELINE_CLI !== undefined && tool === "virtfleet" && k % 2 === 1;
            const baseline = async () => {
              if (BASELINE_CLI === undefined || tool !== "virtfleet") return;
              round.baseline ??= [];
              round.baseline.push(await virtfleetApply(policyFile, "baseline re-check", BASELINE_CLI));
            };
            if (baselineFirst) await baseline();
            rechecks.push(
              tool === "virtfleet"
                ? await virtfleetApply(policyFile, "re-check")
                : await ansiblePlaybook(inventory, varsFile, "re-check"),
            );
            if (!baselineFirst) await baseline();
          }
          await verifyRunning(tool);
          log(
            `round ${r + 1}/${RUNS}: ${tool} re-check median ${s1(median(rechecks.map((x) => x.ms)))} s, changed ${rechecks.map((x) => x.changed).join("/")}; cleanup`,
          );
          round[tool] = { converge, rechecks };
          round.cleanupMs[tool] = await cleanup();
        }
      }
    } catch (err) {
      // A failed step ends the run; the rounds finished before it are still reported.
      if (interrupted) throw err;
      failed = `round ${rounds.length}: ${(err as Error).message}`;
      log(`failed: ${(err as Error).stack ?? String(err)}`);
    }
  } finally {
    if (current) killCurrent();
    // Let a tool that was stopped mid-step finish dying before its guests are removed.
    if (interrupted) await new Promise((r) => setTimeout(r, 1500));
    try {
      await cleanup();
    } catch (err) {
      log(`final cleanup failed: ${(err as Error).message}`);
      process.exitCode = 1;
    }
    await rm(dir, { recursive: true, force: true });
  }

  const per = (tool: Tool) => {
    const done = rounds.filter((x) => x[tool]);
    const c = done.map((x) => x[tool]!.converge);
    const k = done.flatMap((x) => x[tool]!.rechecks);
    return {
      converge: stats(c.map((x) => x.ms)),
      recheck: stats(k.map((x) => x.ms)),
      recheckChanged: k.map((x) => x.changed),
      recheckChangedItems: tool === "ansible" ? k.map((x) => x.changedItems ?? 0) : undefined,
      recheckChangedWhat: [...new Set(k.flatMap((x) => x.changedWhat))],
      engineMs:
        tool === "virtfleet"
          ? { converge: stats(c.map((x) => x.engineMs ?? 0)), recheck: stats(k.map((x) => x.engineMs ?? 0)) }
          : undefined,
    };
  };
  const vf = per("virtfleet");
  const an = per("ansible");
  const baselineSteps = rounds.flatMap((x) => x.baseline ?? []);
  const baseline =
    baselineSteps.length > 0
      ? {
          cli: BASELINE_CLI,
          recheck: stats(baselineSteps.map((x) => x.ms)),
          recheckChanged: baselineSteps.map((x) => x.changed),
          engineMs: stats(baselineSteps.map((x) => x.engineMs ?? 0)),
        }
      : undefined;
  if (vf.converge.samples.length === 0 || an.converge.samples.length === 0)
    throw new Error(`no complete measurement of both tools: ${failed ?? "?"}`);
  const result = {
    benchmark: "ansible-vs-apply",
    date: started.toISOString(),
    command: `node ${process.argv
      .slice(1)
      .map((a) => a.replace(repoRoot, ""))
      .join(" ")}`,
    guests: GUESTS,
    runs: RUNS,
    rechecks: RECHECKS,
    prefix,
    machine: {
      ...machine,
      loadavgAtEnd: os.loadavg().map((x) => Number(x.toFixed(2))),
      otherRunningGuestsAtEnd: await otherRunningGuests().catch(() => -1),
    },
    identicalDefinitions: identical,
    /** Set when a step failed: the run stopped there; the figures are the rounds before it. */
    failed,
    virtfleet: vf,
    ansible: an,
    baseline,
    ratio: { converge: an.converge.median / vf.converge.median, recheck: an.recheck.median / vf.recheck.median },
    rounds,
  };
  if (JSON_OUT) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const m = result.machine;
    console.log(
      `machine: ${m.nproc} cores, ${m.cpu}, kernel ${m.kernel}, libvirt ${m.libvirt}, ${m.hypervisor}, node ${m.node}, ${m.ansible}, community.libvirt ${m.communityLibvirt}`,
    );
    console.log(
      `date ${result.date}; load average at start ${m.loadavgAtStart.join(" ")}, at end ${m.loadavgAtEnd.join(" ")}; others' running guests at start ${m.otherRunningGuestsAtStart}, at end ${m.otherRunningGuestsAtEnd}`,
    );
    if (failed) console.log(`RUN FAILED (${failed.split("\n")[0]}); figures below are the steps completed before it`);
    console.log(
      `${GUESTS} guests, ${RUNS} rounds (order alternating); definitions identical for both tools (UUID aside): ${identical ? "yes" : "NO"}`,
    );
    console.log("");
    console.log(
      "| tool | rounds | converge from nothing, median s | min–max s | re-check in sync, median s | min–max s | re-check reported changed |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---|");
    const row = (name: string, t: typeof vf, changed: string) =>
      console.log(
        `| ${name} | ${t.converge.samples.length} | ${s1(t.converge.median)} | ${s1(t.converge.min)}–${s1(t.converge.max)} | ${s1(t.recheck.median)} | ${s1(t.recheck.min)}–${s1(t.recheck.max)} | ${changed} |`,
      );
    row("virtfleet `apply --local` (CLI process)", vf, `changed=${vf.recheckChanged.join("/")} (of ${GUESTS} guests)`);
    row(
      "ansible-playbook + community.libvirt.virt",
      an,
      `changed=${an.recheckChanged.join("/")} tasks, ${an.recheckChangedItems!.join("/")} items`,
    );
    console.log(
      `| ratio ansible / virtfleet | | ${result.ratio.converge.toFixed(2)}× | | ${result.ratio.recheck.toFixed(2)}× | | |`,
    );
    if (baseline) {
      const b = baseline.recheck;
      console.log(
        `| baseline CLI \`${BASELINE_CLI}\` | | | | ${s1(b.median)} | ${s1(b.min)}–${s1(b.max)} | changed=${baseline.recheckChanged.join("/")} |`,
      );
      console.log(`| ratio baseline / virtfleet | | | | ${(b.median / vf.recheck.median).toFixed(2)}× | | |`);
      console.log(`| ratio ansible / baseline | | | | ${(an.recheck.median / b.median).toFixed(2)}× | | |`);
    }
    console.log("");
    console.log(
      `virtfleet engine time inside the process (its JSON durationMs): converge median ${s1(vf.engineMs!.converge.median)} s, re-check median ${(vf.engineMs!.recheck.median).toFixed(0)} ms; the rest of the wall time is process start-up, policy loading and facts.`,
    );
    for (const [tool, t] of [
      ["virtfleet", vf],
      ["ansible", an],
    ] as const) {
      if (t.recheckChangedWhat.length) console.log(`${tool} re-check changed: ${t.recheckChangedWhat.join("; ")}`);
    }
    for (const x of rounds) {
      const f = (t: Tool) =>
        x[t] ? `${t} ${s1(x[t]!.converge.ms)} / ${x[t]!.rechecks.map((k) => s1(k.ms)).join(", ")} s` : `${t} -`;
      console.log(`round ${x.round} (${x.order.join(" first, ")} second): ${f("virtfleet")}; ${f("ansible")}`);
    }
  }
  if (failed) process.exitCode = 1;
  if (!identical) {
    log(`the two tools' stored definitions differ:\n${mismatches.join("\n")}`);
    process.exitCode = 1;
  }
}

main()
  .catch((err) => {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = interrupted ? 130 : 1;
  })
  .finally(() => {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  });
