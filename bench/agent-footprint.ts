/**
 * Benchmark (issue 8, item 4): agent footprint. One real agent process (`virtfleet agent`,
 * as the CLI starts it) against a real controller (`virtfleet controller --insecure`, loopback)
 * enforcing one policy of N tiny running guests; the agent's RSS (VmRSS) and CPU
 * (utime+stime) are read from /proc:
 *   1. converge: the agent starts with an empty state folder and converges N guests;
 *   2. idle: nothing happens for --idle-minutes (the agent's periodic full re-check, every
 *      5 min by default, keeps running, as on a real host) → idle CPU % of one core, RSS;
 *   3. full re-check: no operator command sends Command.resync (the controller has no admin
 *      call or CLI for it), so the re-check measured is the agent's own periodic one
 *      (`--resync-interval`, default 5m + up to 30 s jitter, trigger "resync"): CPU-seconds,
 *      duration (the agent's report) and peak RSS (VmHWM reset just before); every periodic
 *      re-check of the run is measured the same way. Also an operator-triggered full
 *      dry-run of the policy (`virtfleet plan`, Command.plan) for comparison;
 *   4. soak: --soak-minutes with drift injected with virsh every --drift-every seconds
 *      (rotating `virsh destroy` / `virsh suspend` / `virsh autostart` over the guests), RSS
 *      every 5 s → slope of RSS (least squares), first/last 5-minute medians, repairs seen by
 *      the controller (WatchDrift).
 *
 * Run: npm run build && node dist/bench/agent-footprint.js [--idle-minutes 10] [--soak-minutes 30]
 *        [--guests 20] [--drift-every 30] [--plans 5] [--json] [--heap-snapshots] [--resync-seconds 300]
 *        [--agent-node-flags "--max-semi-space-size=1"] [--agent-cli OTHER/dist/cli/main.js]
 *        (--agent-cli: run the agent from another CLI entry, e.g. the unbundled dist/cli/main.js)
 * Short mode (npm run bench): --idle-minutes 2 --soak-minutes 5
 * Needs root (reads /proc, resets VmHWM) and a running libvirtd. Guests are named
 * vft-bfoot-<hex>-NN and removed afterwards (also on Ctrl-C). --heap-snapshots starts the
 * agent with --heapsnapshot-signal and writes V8 heap snapshots (after converge, at soak start
 * and end) to a kept folder; the snapshots perturb RSS, so its numbers are for diagnosis only.
 */
import Database from "better-sqlite3";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DEFAULT_RESYNC_INTERVAL_MS } from "../agent/index.js";
import { AdminClient } from "../cli/admin-client.js";
import { DriftClient } from "../cli/drift-client.js";
import { parseHostPort, projectRoot } from "../common/index.js";
import { CONTROLLER_DB_FILE } from "../controller/database/index.js";
import type { DriftRecord__Output } from "../generated/proto/fleet/v1/DriftRecord.js";
import { intArg, stringArg } from "./lib/cli-args.js";
import { SHIPPED_CLI as CLI } from "./lib/shipped-cli.js";
import { tinyGuestsPolicyYaml } from "./lib/tiny-guests-policy.js";
import { clockTicks, resetPeakRss, sampleProc, slope, type ProcSample } from "./lib/proc-sample.js";
import { median, quantile } from "./lib/stats.js";
import { until } from "./lib/until.js";
import { driftRecordToJson } from "../common/wire/drift.js";

const run = promisify(execFile);

const IDLE_MIN = intArg("idle-minutes", 10);
const SOAK_MIN = intArg("soak-minutes", 30);
const GUESTS = intArg("guests", 20);
const DRIFT_EVERY_S = intArg("drift-every", 30);
const PLANS = intArg("plans", 5);
const JSON_OUT = process.argv.includes("--json");
const HEAP = process.argv.includes("--heap-snapshots");
/** Extra `node` flags for the agent process only, for experiments (e.g. "--max-semi-space-size=1"); default none, as the CLI runs. */
const AGENT_NODE_FLAGS = (() => {
  const i = process.argv.indexOf("--agent-node-flags");
  return i < 0 ? [] : (process.argv[i + 1] ?? "").split(/\s+/).filter(Boolean);
})();

const IDLE_PERIOD_MS = 1_000;
const SOAK_PERIOD_MS = 5_000;
const FINE_PERIOD_MS = 50;
const SETTLE_MS = 30_000;
/**
 * The agent's periodic re-check: cron every interval (from the top of the hour) plus a random
 * delay up to RESYNC_MAX_DELAY_MS. --resync-seconds (for quick trials) passes --resync-interval
 * to the agent; default: the agent's own default.
 */
const RESYNC_INTERVAL_MS = intArg("resync-seconds", DEFAULT_RESYNC_INTERVAL_MS / 1000) * 1000;
const RESYNC_MAX_DELAY_MS = Math.min(30_000, Math.floor(RESYNC_INTERVAL_MS / 2));
const TARGET_RSS_MB = 80;
const TARGET_IDLE_CPU_PCT = 1;

const hex = randomBytes(3).toString("hex");
const prefix = `vft-bfoot-${hex}-`;
const host = `${prefix}host`;
const names = Array.from({ length: GUESTS }, (_, i) => `${prefix}${String(i).padStart(2, "0")}`);
/** The controller always runs the shipped CLI; the agent too unless --agent-cli names another build's entry (A/B runs). */
const AGENT_CLI = stringArg("agent-cli") ?? CLI;
const CLK = clockTicks();

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const progress = (msg: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const virsh = (...args: string[]) => run("virsh", ["-q", "-c", "qemu:///system", ...args]);

// ---------- processes ----------

/** A child with bounded output: the last `keep` lines, plus counts of pino warn/error records. */
class Child {
  readonly lines: string[] = [];
  warnings = 0;
  errors = 0;
  /** Distinct messages of warn/error records (at most 20). */
  readonly problems = new Set<string>();
  totalLines = 0;
  private partial = "";
  readonly exited: Promise<void>;

  constructor(
    readonly proc: ChildProcess,
    private readonly keep = 200,
  ) {
    const take = (d: Buffer) => {
      const parts = (this.partial + d.toString()).split("\n");
      this.partial = parts.pop() ?? "";
      if (this.partial.length > 65_536) this.partial = this.partial.slice(-65_536);
      for (const l of parts) {
        this.totalLines++;
        const level = /"level":(\d+)/.exec(l)?.[1];
        if (level === "40") this.warnings++;
        else if (level !== undefined && Number(level) >= 50) this.errors++;
        if (level !== undefined && Number(level) >= 40 && this.problems.size < 20)
          this.problems.add(/"msg":"([^"]*)"/.exec(l)?.[1] ?? l.slice(0, 200));
        this.lines.push(l);
        if (this.lines.length > this.keep) this.lines.shift();
      }
    };
    proc.stdout?.on("data", take);
    proc.stderr?.on("data", take);
    this.exited = new Promise((r) => proc.once("exit", () => r()));
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.proc.kill("SIGTERM");
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 8_000);
    await this.exited;
    clearTimeout(t);
  }
}

/** `node [nodeFlags] CLI args…` with exactly `env`. */
function startCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeFlags: string[] = [],
  cwd?: string,
  cli: string = CLI,
): Child {
  const child = spawn(process.execPath, [...nodeFlags, cli, ...args], { stdio: ["ignore", "pipe", "pipe"], env, cwd });
  return new Child(child);
}

// ---------- sampling ----------

interface Sample extends ProcSample {
  phase: string;
  /** On the phase's regular schedule (1 s idle, 5 s soak); the others are 50 ms samples around periodic re-checks. */
  regular: boolean;
}

interface FineWindow {
  start: number;
  end: number;
  /** VmHWM at the window's end, after a reset at its start: peak RSS within it. */
  peakKb: number;
  reset: boolean;
}

/** Milliseconds into the agent's cron cycle (the cron counts from the top of the local hour). */
function msIntoCycle(t: number): number {
  const d = new Date(t);
  return ((d.getMinutes() * 60 + d.getSeconds()) * 1000 + d.getMilliseconds()) % RESYNC_INTERVAL_MS;
}

function inResyncWindow(t: number): boolean {
  const m = msIntoCycle(t);
  return m >= RESYNC_INTERVAL_MS - 2_000 || m <= RESYNC_MAX_DELAY_MS + 8_000;
}

class Sampler {
  readonly samples: Sample[] = [];
  readonly windows: FineWindow[] = [];
  phase = "converge";
  periodMs = IDLE_PERIOD_MS;
  /** VmHWM before the first reset: peak RSS from the agent's start through converge and settle. */
  lifetimePeakKb = 0;
  private nextRegular = 0;
  private window: { start: number; reset: boolean } | null = null;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | null = null;

  constructor(private readonly pid: number) {}

  start(): void {
    this.loop = this.run();
  }

  setPhase(phase: string, periodMs: number): void {
    this.phase = phase;
    this.periodMs = periodMs;
    this.nextRegular = 0;
    this.take(true);
  }

  /** One sample now (also on the regular schedule when `regular`). */
  take(regular = false): Sample {
    const s: Sample = { ...sampleProc(this.pid), phase: this.phase, regular: false };
    if (regular || s.at >= this.nextRegular) {
      s.regular = true;
      this.nextRegular = Math.max(this.nextRegular + this.periodMs, s.at + this.periodMs / 2);
    }
    this.samples.push(s);
    return s;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let s: Sample;
      try {
        s = this.take();
      } catch {
        return; // the agent is gone
      }
      const fine = this.phase !== "converge" && this.phase !== "settle" && inResyncWindow(s.at);
      if (fine && !this.window) {
        if (this.lifetimePeakKb === 0) this.lifetimePeakKb = s.hwmKb;
        this.window = { start: s.at, reset: resetPeakRss(this.pid) };
      } else if (!fine && this.window) {
        this.windows.push({ start: this.window.start, end: s.at, peakKb: s.hwmKb, reset: this.window.reset });
        this.window = null;
      }
      const wait = fine ? FINE_PERIOD_MS : Math.max(10, Math.min(this.periodMs, this.nextRegular - Date.now()));
      await new Promise<void>((r) => {
        const t = setTimeout(r, wait);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  between(from: number, to: number, phase?: string): Sample[] {
    return this.samples.filter((s) => s.at >= from && s.at <= to && (phase === undefined || s.phase === phase));
  }
}

// ---------- what the controller stored ----------

interface StoredReport {
  trigger: string;
  startedAt: number;
  durationMs: number;
  summary: Record<string, number>;
}

function readReports(dbFile: string): StoredReport[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare<[string], { trigger_kind: string; started_at: number; duration_ms: number; summary_json: string }>(
        "SELECT trigger_kind, started_at, duration_ms, summary_json FROM reports WHERE host = ? AND dry_run = 0 ORDER BY event_seq",
      )
      .all(host)
      .map((r) => ({
        trigger: r.trigger_kind,
        startedAt: r.started_at,
        durationMs: r.duration_ms,
        summary: JSON.parse(r.summary_json) as Record<string, number>,
      }));
  } finally {
    db.close();
  }
}

interface RunCost {
  at: number;
  phase: string;
  durationMs: number;
  cpuMs: number;
  /** Time around the run the CPU reading could not separate from it (sampling gaps), ms. */
  slackMs: number;
  peakRssKb: number;
  rssBeforeKb: number;
  peakFromHwm: boolean;
  clean: boolean;
}

/** CPU and peak RSS of one enforcement run, from the samples bracketing [start, start + duration]. */
function runCost(sampler: Sampler, r: StoredReport): RunCost | null {
  const end = r.startedAt + r.durationMs + 50; // + recording the report in the outbox and sending it
  const before = [...sampler.samples].reverse().find((s) => s.at <= r.startedAt);
  const after = sampler.samples.find((s) => s.at >= end);
  if (!before || !after) return null;
  const within = sampler.between(before.at, after.at);
  const win = sampler.windows.find((w) => w.start <= r.startedAt && w.end >= end && w.reset);
  const sampledPeak = Math.max(...within.map((s) => s.rssKb));
  return {
    at: r.startedAt,
    phase: before.phase,
    durationMs: r.durationMs,
    cpuMs: ((after.ticks - before.ticks) / CLK) * 1000,
    slackMs: r.startedAt - before.at + (after.at - end),
    peakRssKb: win ? Math.max(win.peakKb, sampledPeak) : sampledPeak,
    rssBeforeKb: before.rssKb,
    peakFromHwm: win !== undefined,
    clean: (r.summary.ok ?? 0) === GUESTS && (r.summary.changed ?? 0) === 0 && (r.summary.failed ?? 0) === 0,
  };
}

// ---------- drift injection ----------

const DRIFTS = ["destroy", "suspend", "autostart"] as const;
type DriftKind = (typeof DRIFTS)[number];

interface Injection {
  at: number;
  guest: string;
  kind: DriftKind;
  repairedAt?: number;
  error?: string;
}

async function inject(guest: string, kind: DriftKind): Promise<void> {
  if (kind === "destroy") await virsh("destroy", guest);
  else if (kind === "suspend") await virsh("suspend", guest);
  else await virsh("autostart", guest);
}

// ---------- cleanup ----------

let cleanupDone: Promise<void> | null = null;
const state: { controller?: Child; agent?: Child; dir?: string; sampler?: Sampler; watchAbort?: AbortController } = {};

function cleanup(): Promise<void> {
  cleanupDone ??= (async () => {
    state.watchAbort?.abort();
    await state.sampler?.stop().catch(() => undefined);
    // the agent first, or it restarts the guests being removed
    await state.agent?.stop().catch(() => undefined);
    await state.controller?.stop().catch(() => undefined);
    const listed = await virsh("list", "--all", "--name").then(
      (r) => r.stdout.split("\n").map((l) => l.trim()),
      () => names,
    );
    for (const n of listed.filter((l) => l.startsWith(prefix))) {
      await virsh("destroy", n).catch(() => undefined);
      await virsh("undefine", n).catch(() => undefined);
    }
    if (state.dir) rmSync(state.dir, { recursive: true, force: true });
  })();
  return cleanupDone;
}

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(sig, () => {
    progress(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------- the run ----------

const kb2mb = (kb: number) => kb / 1024;
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "-");

async function main(): Promise<void> {
  const started = new Date();
  const commit = await run("git", ["rev-parse", "--short", "HEAD"], { cwd: projectRoot() }).then(
    (x) => x.stdout.trim(),
    () => "?",
  );
  const dir = (state.dir = mkdtempSync(join(tmpdir(), `vft-bfoot-${hex}-`)));
  const policies = join(dir, "policies");
  mkdirSync(policies);
  writeFileSync(join(policies, "bench.yaml"), tinyGuestsPolicyYaml(names));
  const controllerData = join(dir, "controller");
  const controller = (state.controller = startCli(
    ["controller", "--listen", "127.0.0.1:0", "--data", controllerData, "--policies", policies, "--insecure"],
    { ...process.env, VIRTFLEET_LOG_LEVEL: "warn" },
  ));
  const address = await until(
    "the controller to listen",
    () => {
      if (!controller.running) throw new Error(`controller exited:\n${controller.lines.join("\n")}`);
      for (const l of controller.lines) {
        const m = /listening on (\S+)/.exec(l);
        if (m) return m[1];
      }
      return undefined;
    },
    30_000,
    50,
  );
  const hp = parseHostPort(address, "address");
  const admin = new AdminClient(hp, true);
  const drift = new DriftClient(hp, true);
  const dbFile = join(controllerData, CONTROLLER_DB_FILE);

  const heapDir = HEAP ? mkdtempSync(join(tmpdir(), `vft-bfoot-heap-${hex}-`)) : undefined;
  const agentEnv = { ...process.env };
  delete agentEnv.VIRTFLEET_LOG_LEVEL; // its normal level (info)
  const t0 = Date.now();
  const agent = (state.agent = startCli(
    ["agent", "--controller", address, "--name", host, "--state-dir", join(dir, "agent"), "--insecure"].concat(
      RESYNC_INTERVAL_MS === DEFAULT_RESYNC_INTERVAL_MS ? [] : ["--resync-interval", `${RESYNC_INTERVAL_MS / 1000}s`],
    ),
    agentEnv,
    [...AGENT_NODE_FLAGS, ...(heapDir ? ["--heapsnapshot-signal=SIGUSR2"] : [])],
    heapDir,
    AGENT_CLI,
  ));
  const pid = agent.proc.pid!;
  const sampler = (state.sampler = new Sampler(pid));
  sampler.start();
  const snapshot = async (label: string) => {
    if (!heapDir) return;
    const before = readdirSync(heapDir).length;
    agent.proc.kill("SIGUSR2");
    await until(
      `heap snapshot (${label})`,
      () => (readdirSync(heapDir).filter((f) => f.endsWith(".heapsnapshot")).length > before ? true : undefined),
      120_000,
      500,
    );
    await sleep(5_000);
    progress(`heap snapshot ${label} written to ${heapDir}`);
  };

  // 1. converge
  progress(`agent pid ${pid}; converging ${GUESTS} guests (${prefix}NN)`);
  await until(
    `${GUESTS} guests running and the host compliant`,
    async () => {
      if (!agent.running) throw new Error(`agent exited:\n${agent.lines.join("\n")}`);
      const h = await admin.getHost(host).catch(() => undefined);
      const p = h?.policies.find((x) => x.name === "bench");
      if (p?.status !== "compliant" || p.ok !== GUESTS) return undefined;
      const running = (await virsh("list", "--state-running", "--name")).stdout
        .split("\n")
        .filter((l) => l.trim().startsWith(prefix));
      return running.length === GUESTS ? true : undefined;
    },
    300_000,
    250,
  );
  const convergeMs = Date.now() - t0;
  const afterConverge = sampler.take();
  progress(
    `converged in ${(convergeMs / 1000).toFixed(1)} s; RSS ${fmt(kb2mb(afterConverge.rssKb))} MB; settling ${SETTLE_MS / 1000} s`,
  );
  sampler.setPhase("settle", IDLE_PERIOD_MS);
  await sleep(SETTLE_MS);
  await snapshot("after-converge");

  // drift watch (for the soak), opened before idle so its connection setup is not in the soak
  const watchAbort = (state.watchAbort = new AbortController());
  const driftSeen: { at: number; rec: DriftRecord__Output }[] = [];
  let watchReady = false;
  void drift.watch(
    0,
    host,
    watchAbort.signal,
    (rec) => {
      driftSeen.push({ at: Date.now(), rec });
      if (driftSeen.length > 10_000) driftSeen.shift();
    },
    () => (watchReady = true),
  );
  await until("the drift watch", () => (watchReady ? true : undefined), 10_000, 50).catch(() => undefined);

  // 2. idle
  progress(`idle for ${IDLE_MIN} min`);
  sampler.setPhase("idle", IDLE_PERIOD_MS);
  const idleStart = sampler.samples.at(-1)!;
  await sleep(IDLE_MIN * 60_000);
  sampler.setPhase("recheck-wait", IDLE_PERIOD_MS);
  const idleEnd = sampler.samples.at(-1)!;

  // 3. full re-check: the next periodic one, then operator dry-runs
  const seenBefore = readReports(dbFile).filter((r) => r.trigger === "resync").length;
  progress(
    `waiting for the agent's next periodic re-check (every ${RESYNC_INTERVAL_MS / 60_000} min + up to ${RESYNC_MAX_DELAY_MS / 1000} s)`,
  );
  const recheck = await until(
    "a periodic re-check",
    () => {
      const r = readReports(dbFile).filter((x) => x.trigger === "resync");
      const last = r.at(-1);
      return r.length > seenBefore && last && Date.now() > last.startedAt + last.durationMs + 1_000 ? last : undefined;
    },
    RESYNC_INTERVAL_MS + RESYNC_MAX_DELAY_MS + 60_000,
    1_000,
  );
  // wait for the fine-sampling window to close so its peak (VmHWM) is recorded
  await until(
    "the re-check window to close",
    () => (sampler.windows.some((w) => w.end >= recheck.startedAt + recheck.durationMs) ? true : undefined),
    60_000,
    200,
  );
  sampler.setPhase("plan", IDLE_PERIOD_MS);
  const plans: { ms: number; cpuMs: number; peakKb: number; before: number }[] = [];
  for (let i = 0; i < PLANS; i++) {
    await sleep(2_000);
    const b = sampler.take();
    const reset = resetPeakRss(pid);
    const t = performance.now();
    const plan = await admin.plan("bench", 30_000);
    const ms = performance.now() - t;
    await sleep(200);
    const a = sampler.take();
    if (plan.summary.hostsPlanned !== 1) throw new Error(`plan: ${JSON.stringify(plan.summary)}`);
    plans.push({
      ms,
      cpuMs: ((a.ticks - b.ticks) / CLK) * 1000,
      peakKb: reset ? a.hwmKb : Math.max(a.rssKb, b.rssKb),
      before: b.rssKb,
    });
  }

  // 4. soak with drift
  progress(`soak for ${SOAK_MIN} min, drift every ${DRIFT_EVERY_S} s`);
  await snapshot("soak-start");
  sampler.setPhase("soak", SOAK_PERIOD_MS);
  const soakStart = Date.now();
  const soakEnd = soakStart + SOAK_MIN * 60_000;
  const injections: Injection[] = [];
  for (let k = 0; Date.now() + 1_000 < soakEnd; k++) {
    const next = soakStart + k * DRIFT_EVERY_S * 1000;
    if (next > Date.now()) await sleep(next - Date.now());
    if (Date.now() >= soakEnd) break;
    const inj: Injection = { at: Date.now(), guest: names[k % GUESTS]!, kind: DRIFTS[k % DRIFTS.length]! };
    await inject(inj.guest, inj.kind).catch((err: Error) => (inj.error = err.message.split("\n")[0]));
    injections.push(inj);
  }
  await sleep(Math.max(0, soakEnd - Date.now()));
  await snapshot("soak-end");
  sampler.setPhase("end", IDLE_PERIOD_MS);
  const last = sampler.take();
  await sleep(15_000); // late repairs reach the controller
  watchAbort.abort();

  // what the controller saw
  for (const inj of injections) {
    const hit = driftSeen.find((d) => d.at >= inj.at && d.rec.name === inj.guest && d.rec.remediation === "repaired");
    if (hit) inj.repairedAt = hit.at;
  }
  const soakDrift = await drift.listDrift(host, new Date(soakStart - 1_000).toISOString(), 10_000);
  const byRemediation: Record<string, number> = {};
  for (const d of soakDrift) byRemediation[d.remediation] = (byRemediation[d.remediation] ?? 0) + 1;
  const reports = readReports(dbFile);
  admin.close();
  drift.close();
  await cleanup();

  // reference: a bare Node process of the same binary doing nothing
  const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e9)"], { stdio: "ignore" });
  await sleep(3_000);
  const bareSample = (() => {
    try {
      return sampleProc(bare.pid!);
    } catch {
      return undefined;
    }
  })();
  bare.kill("SIGKILL");

  // ---------- numbers ----------
  const idleSamples = sampler.between(idleStart.at, idleEnd.at, "idle").filter((s) => s.regular);
  const idleSeconds = (idleEnd.at - idleStart.at) / 1000;
  const idleCpuPct = ((idleEnd.ticks - idleStart.ticks) / CLK / idleSeconds) * 100;
  const idleChildPct = ((idleEnd.childTicks - idleStart.childTicks) / CLK / idleSeconds) * 100;
  const perMinute: number[] = [];
  for (let m = 0; m < IDLE_MIN; m++) {
    const a = idleSamples.find((s) => s.at >= idleStart.at + m * 60_000);
    const b = idleSamples.find((s) => s.at >= idleStart.at + (m + 1) * 60_000) ?? idleEnd;
    if (a && b && b.at > a.at) perMinute.push(((b.ticks - a.ticks) / CLK / ((b.at - a.at) / 1000)) * 100);
  }
  const resyncs = reports
    .filter((r) => r.trigger === "resync")
    .map((r) => runCost(sampler, r))
    .filter((c): c is RunCost => c !== null);
  const idleResyncs = resyncs.filter((c) => c.at >= idleStart.at && c.at <= idleEnd.at);
  const idleBackgroundPct =
    (((idleEnd.ticks - idleStart.ticks) / CLK - idleResyncs.reduce((s, c) => s + c.cpuMs / 1000, 0)) / idleSeconds) *
    100;
  const idleRss = idleSamples.map((s) => s.rssKb);
  const dedicated = runCost(sampler, recheck);
  const clean = resyncs.filter((c) => c.clean);

  const soakSamples = sampler.between(soakStart, last.at, "soak").filter((s) => s.regular);
  const soakSlopeKbPerMin = slope(soakSamples.map((s) => ({ x: (s.at - soakStart) / 60_000, y: s.rssKb })));
  const edgeMs = Math.min(5, SOAK_MIN / 2) * 60_000;
  const firstMed = median(soakSamples.filter((s) => s.at < soakStart + edgeMs).map((s) => s.rssKb));
  const lastMed = median(soakSamples.filter((s) => s.at >= last.at - edgeMs).map((s) => s.rssKb));
  const soakRss = soakSamples.map((s) => s.rssKb);
  const soakCpuPct = ((last.ticks - soakSamples[0]!.ticks) / CLK / ((last.at - soakSamples[0]!.at) / 1000)) * 100;
  const repaired = injections.filter((i) => i.repairedAt !== undefined);
  const repairLat = repaired.map((i) => i.repairedAt! - i.at);
  const maxRssKb = Math.max(
    ...sampler.samples.filter((s) => s.phase !== "converge").map((s) => s.rssKb),
    ...sampler.windows.map((w) => w.peakKb),
  );
  const endSample = sampler.samples.filter((s) => s.phase === "end").at(-1) ?? last;

  const machine = {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "?",
    kernel: os.release(),
    node: process.version,
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadavg: os.loadavg().map((x) => +x.toFixed(2)),
  };
  const result = {
    benchmark: "agent-footprint",
    date: started.toISOString(),
    command: `node ${process.argv.slice(1).join(" ")}`,
    agentNodeFlags: AGENT_NODE_FLAGS,
    agentCli: AGENT_CLI,
    commit,
    machine,
    guests: GUESTS,
    clockTicks: CLK,
    targets: { rssMb: TARGET_RSS_MB, idleCpuPctOfCore: TARGET_IDLE_CPU_PCT },
    converge: {
      seconds: +(convergeMs / 1000).toFixed(2),
      rssAfterMb: +kb2mb(afterConverge.rssKb).toFixed(1),
      peakRssMb: +kb2mb(sampler.lifetimePeakKb || afterConverge.hwmKb).toFixed(1),
      cpuSeconds: +(afterConverge.ticks / CLK).toFixed(2),
    },
    idle: {
      minutes: IDLE_MIN,
      cpuPctOfCore: +idleCpuPct.toFixed(3),
      cpuPctPerMinute: {
        median: +median(perMinute).toFixed(3),
        min: +Math.min(...perMinute).toFixed(3),
        max: +Math.max(...perMinute).toFixed(3),
      },
      periodicRechecks: idleResyncs.length,
      cpuPctExcludingRechecks: +idleBackgroundPct.toFixed(3),
      childProcessCpuPct: +idleChildPct.toFixed(3),
      rssMb: {
        min: +kb2mb(Math.min(...idleRss)).toFixed(1),
        median: +kb2mb(median(idleRss)).toFixed(1),
        max: +kb2mb(Math.max(...idleRss)).toFixed(1),
      },
      samples: idleRss.length,
    },
    recheck: {
      how: `periodic re-check (--resync-interval default ${RESYNC_INTERVAL_MS / 60_000}m + up to ${RESYNC_MAX_DELAY_MS / 1000}s jitter); no admin call or CLI sends Command.resync`,
      first: dedicated && {
        durationMs: dedicated.durationMs,
        cpuSeconds: +(dedicated.cpuMs / 1000).toFixed(3),
        slackMs: Math.round(dedicated.slackMs),
        peakRssMb: +kb2mb(dedicated.peakRssKb).toFixed(1),
        rssBeforeMb: +kb2mb(dedicated.rssBeforeKb).toFixed(1),
        peakFromVmHWM: dedicated.peakFromHwm,
      },
      all: {
        count: resyncs.length,
        inSync: clean.length,
        durationMs: clean.length
          ? {
              median: median(clean.map((c) => c.durationMs)),
              min: Math.min(...clean.map((c) => c.durationMs)),
              max: Math.max(...clean.map((c) => c.durationMs)),
            }
          : null,
        cpuSeconds: clean.length
          ? {
              median: +(median(clean.map((c) => c.cpuMs)) / 1000).toFixed(3),
              min: +(Math.min(...clean.map((c) => c.cpuMs)) / 1000).toFixed(3),
              max: +(Math.max(...clean.map((c) => c.cpuMs)) / 1000).toFixed(3),
            }
          : null,
        peakRssMb: clean.length
          ? {
              median: +kb2mb(median(clean.map((c) => c.peakRssKb))).toFixed(1),
              max: +kb2mb(Math.max(...clean.map((c) => c.peakRssKb))).toFixed(1),
            }
          : null,
        runs: resyncs.map((c) => ({
          at: new Date(c.at).toISOString(),
          phase: c.phase,
          durationMs: c.durationMs,
          cpuMs: Math.round(c.cpuMs),
          slackMs: Math.round(c.slackMs),
          peakRssMb: +kb2mb(c.peakRssKb).toFixed(1),
          inSync: c.clean,
        })),
      },
      plan: {
        how: "operator-triggered full dry-run: virtfleet plan bench (Command.plan)",
        runs: plans.length,
        wallMs: {
          median: +median(plans.map((p) => p.ms)).toFixed(0),
          max: +Math.max(...plans.map((p) => p.ms)).toFixed(0),
        },
        agentCpuSeconds: {
          median: +(median(plans.map((p) => p.cpuMs)) / 1000).toFixed(3),
          min: +(Math.min(...plans.map((p) => p.cpuMs)) / 1000).toFixed(3),
          max: +(Math.max(...plans.map((p) => p.cpuMs)) / 1000).toFixed(3),
        },
        peakRssMb: +kb2mb(Math.max(...plans.map((p) => p.peakKb))).toFixed(1),
      },
    },
    soak: {
      minutes: SOAK_MIN,
      driftEverySeconds: DRIFT_EVERY_S,
      rssSlopeKbPerMin: +soakSlopeKbPerMin.toFixed(1),
      rssSlopeMbPerHour: +((soakSlopeKbPerMin * 60) / 1024).toFixed(2),
      rssFirstMedianMb: +kb2mb(firstMed).toFixed(1),
      rssLastMedianMb: +kb2mb(lastMed).toFixed(1),
      edgeMinutes: edgeMs / 60_000,
      rssMb: {
        min: +kb2mb(Math.min(...soakRss)).toFixed(1),
        median: +kb2mb(median(soakRss)).toFixed(1),
        max: +kb2mb(Math.max(...soakRss)).toFixed(1),
      },
      samples: soakRss.length,
      cpuPctOfCore: +soakCpuPct.toFixed(3),
      injections: injections.length,
      injectionErrors: injections.filter((i) => i.error).map((i) => `${i.kind} ${i.guest}: ${i.error}`),
      byKind: Object.fromEntries(
        DRIFTS.map((k) => {
          const lat = repaired.filter((i) => i.kind === k).map((i) => i.repairedAt! - i.at);
          return [
            k,
            {
              injected: injections.filter((i) => i.kind === k).length,
              repaired: lat.length,
              latencyMs: lat.length ? { p50: Math.round(median(lat)), max: Math.round(Math.max(...lat)) } : null,
            },
          ];
        }),
      ),
      repairsSeen: repaired.length,
      repairLatencyMs: repairLat.length
        ? {
            p50: Math.round(median(repairLat)),
            p99: Math.round(quantile(repairLat, 0.99)),
            max: Math.round(Math.max(...repairLat)),
          }
        : null,
      driftEventsStored: soakDrift.length,
      driftByRemediation: byRemediation,
      driftNotRepaired: soakDrift
        .filter((d) => d.remediation !== "repaired")
        .map((d) => ({
          name: d.name,
          kind: d.kind,
          remediation: d.remediation,
          source: d.source,
          detectedAt: d.detectedAt,
          resolvedAt: d.resolvedAt,
          fields: JSON.stringify(driftRecordToJson(d).fields),
          detail: d.detail,
        })),
    },
    maxRssMb: +kb2mb(maxRssKb).toFixed(1),
    bareNodeRss: bareSample
      ? {
          rssMb: +kb2mb(bareSample.rssKb).toFixed(1),
          anonMb: +kb2mb(bareSample.rssAnonKb).toFixed(1),
          fileMb: +kb2mb(bareSample.rssFileKb).toFixed(1),
        }
      : null,
    endRss: {
      rssMb: +kb2mb(endSample.rssKb).toFixed(1),
      anonMb: +kb2mb(endSample.rssAnonKb).toFixed(1),
      fileMb: +kb2mb(endSample.rssFileKb).toFixed(1),
    },
    agentLog: {
      lines: agent.totalLines,
      warnings: agent.warnings,
      errors: agent.errors,
      problems: [...agent.problems],
    },
    controllerLog: {
      lines: controller.totalLines,
      warnings: controller.warnings,
      errors: controller.errors,
      problems: [...controller.problems],
    },
    heapSnapshots: heapDir ?? null,
  };

  if (JSON_OUT) {
    console.log(JSON.stringify(result));
    return;
  }
  const r = result;
  const ok = (good: boolean) => (good ? "met" : "MISSED");
  console.log(
    `machine: ${machine.cores} cores, ${machine.cpu}, kernel ${machine.kernel}, node ${machine.node}, ${machine.memGiB} GiB, load ${machine.loadavg.join(" ")}, date ${started.toISOString().slice(0, 16)}Z`,
  );
  console.log(
    `commit ${r.commit}${AGENT_CLI !== CLI ? `; agent CLI ${AGENT_CLI}` : ""}${AGENT_NODE_FLAGS.length ? `; agent node flags ${AGENT_NODE_FLAGS.join(" ")}` : ""}; one agent process, ${GUESTS} tiny running guests; RSS = VmRSS, CPU = utime+stime (CLK_TCK ${CLK}), from /proc/${pid}`,
  );
  console.log("| measure | result | target |");
  console.log("|---|---:|---|");
  console.log(
    `| converge ${GUESTS} guests from an empty state folder (agent start → host compliant) | ${fmt(r.converge.seconds)} s, ${fmt(r.converge.cpuSeconds, 2)} CPU-s | - |`,
  );
  console.log(
    `| RSS right after converge / peak from start through converge (VmHWM) | ${fmt(r.converge.rssAfterMb)} / ${fmt(r.converge.peakRssMb)} MB | < ${TARGET_RSS_MB} MB: ${ok(r.converge.peakRssMb < TARGET_RSS_MB)} |`,
  );
  console.log(
    `| idle CPU over ${IDLE_MIN} min (incl. ${r.idle.periodicRechecks} periodic re-check(s)) | ${fmt(r.idle.cpuPctOfCore, 3)} % of a core | < ${TARGET_IDLE_CPU_PCT} %: ${ok(r.idle.cpuPctOfCore < TARGET_IDLE_CPU_PCT)} |`,
  );
  console.log(
    `| idle CPU per minute, median (min–max) | ${fmt(r.idle.cpuPctPerMinute.median, 3)} (${fmt(r.idle.cpuPctPerMinute.min, 3)}–${fmt(r.idle.cpuPctPerMinute.max, 3)}) % | - |`,
  );
  console.log(
    `| idle CPU without the periodic re-checks / of child processes (ip …) | ${fmt(r.idle.cpuPctExcludingRechecks, 3)} % / ${fmt(r.idle.childProcessCpuPct, 3)} % | - |`,
  );
  console.log(
    `| idle RSS min / median / max (${r.idle.samples} samples, 1 s) | ${fmt(r.idle.rssMb.min)} / ${fmt(r.idle.rssMb.median)} / ${fmt(r.idle.rssMb.max)} MB | < ${TARGET_RSS_MB} MB: ${ok(r.idle.rssMb.max < TARGET_RSS_MB)} |`,
  );
  if (r.recheck.first) {
    const f = r.recheck.first;
    console.log(
      `| full re-check of ${GUESTS} guests (periodic resync after idle): duration / CPU / peak RSS | ${f.durationMs} ms / ${fmt(f.cpuSeconds, 3)} CPU-s (±${f.slackMs} ms sampling) / ${fmt(f.peakRssMb)} MB (from ${fmt(f.rssBeforeMb)}) | < ${TARGET_RSS_MB} MB: ${ok(f.peakRssMb < TARGET_RSS_MB)} |`,
    );
  }
  const a = r.recheck.all;
  if (a.durationMs && a.cpuSeconds && a.peakRssMb) {
    console.log(
      `| all in-sync periodic re-checks (${a.inSync} of ${a.count}): duration / CPU-s, median (min–max); peak RSS median (max) | ${a.durationMs.median} (${a.durationMs.min}–${a.durationMs.max}) ms / ${fmt(a.cpuSeconds.median, 3)} (${fmt(a.cpuSeconds.min, 3)}–${fmt(a.cpuSeconds.max, 3)}); ${fmt(a.peakRssMb.median)} (${fmt(a.peakRssMb.max)}) MB | - |`,
    );
  }
  const p = r.recheck.plan;
  console.log(
    `| operator full dry-run \`virtfleet plan bench\` (${p.runs}×): wall median (max) / agent CPU-s median (min–max) / peak RSS | ${p.wallMs.median} (${p.wallMs.max}) ms / ${fmt(p.agentCpuSeconds.median, 3)} (${fmt(p.agentCpuSeconds.min, 3)}–${fmt(p.agentCpuSeconds.max, 3)}) / ${fmt(p.peakRssMb)} MB | - |`,
  );
  const s = r.soak;
  console.log(
    `| soak ${SOAK_MIN} min, drift every ${DRIFT_EVERY_S} s: RSS slope (least squares, ${s.samples} samples at 5 s) | ${fmt(s.rssSlopeKbPerMin)} KB/min = ${fmt(s.rssSlopeMbPerHour, 2)} MB/h | no growth |`,
  );
  console.log(
    `| soak RSS median, first / last ${s.edgeMinutes} min; min / max | ${fmt(s.rssFirstMedianMb)} / ${fmt(s.rssLastMedianMb)} MB; ${fmt(s.rssMb.min)} / ${fmt(s.rssMb.max)} MB | < ${TARGET_RSS_MB} MB: ${ok(s.rssMb.max < TARGET_RSS_MB)} |`,
  );
  console.log(`| soak CPU (repairs + re-checks) | ${fmt(s.cpuPctOfCore, 3)} % of a core | - |`);
  console.log(
    `| drift injected / repaired (seen on WatchDrift) | ${s.injections} / ${s.repairsSeen} (${DRIFTS.map((k) => `${k} ${s.byKind[k]!.repaired}/${s.byKind[k]!.injected}`).join(", ")}) | all |`,
  );
  if (s.repairLatencyMs) {
    const kinds = DRIFTS.map(
      (k) => s.byKind[k]!.latencyMs && `${k} ${s.byKind[k]!.latencyMs!.p50}/${s.byKind[k]!.latencyMs!.max}`,
    )
      .filter(Boolean)
      .join(", ");
    console.log(
      `| repair seen at the controller after the virsh command: p50 / p99 / max (per kind p50/max) | ${s.repairLatencyMs.p50} / ${s.repairLatencyMs.p99} / ${s.repairLatencyMs.max} ms (${kinds}) | - |`,
    );
  }
  console.log(
    `| highest RSS after converge (any sample or VmHWM window) | ${fmt(r.maxRssMb)} MB | < ${TARGET_RSS_MB} MB: ${ok(r.maxRssMb < TARGET_RSS_MB)} |`,
  );
  console.log(`| RSS at the end: anonymous / file-backed | ${fmt(r.endRss.anonMb)} / ${fmt(r.endRss.fileMb)} MB | - |`);
  if (r.bareNodeRss)
    console.log(
      `| reference: bare \`node -e "setInterval(…)"\` (same binary): RSS / anonymous / file-backed | ${fmt(r.bareNodeRss.rssMb)} / ${fmt(r.bareNodeRss.anonMb)} / ${fmt(r.bareNodeRss.fileMb)} MB | - |`,
    );
  console.log(
    `drift events stored during the soak: ${s.driftEventsStored} ${JSON.stringify(s.driftByRemediation)}; agent log: ${r.agentLog.lines} lines, ${r.agentLog.warnings} warn, ${r.agentLog.errors} error ${JSON.stringify(r.agentLog.problems)}; controller log (warn level): ${r.controllerLog.lines} lines ${JSON.stringify(r.controllerLog.problems)}`,
  );
  for (const d of s.driftNotRepaired) console.log(`drift not repaired: ${JSON.stringify(d)}`);
  if (s.injectionErrors.length) console.log(`injection errors: ${s.injectionErrors.join("; ")}`);
  if (heapDir) console.log(`heap snapshots: ${heapDir}`);
  console.log(
    `periodic re-checks: ${a.runs.map((x) => `${x.at.slice(11, 19)} ${x.phase} ${x.durationMs}ms ${x.cpuMs}cpu-ms ±${x.slackMs} ${x.peakRssMb}MB${x.inSync ? "" : " (repairs)"}`).join("; ")}`,
  );
}

main()
  .catch(async (err) => {
    console.error(err);
    if (state.agent) console.error(`agent log tail:\n${state.agent.lines.slice(-20).join("\n")}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
