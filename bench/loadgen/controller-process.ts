import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { clockTicks, sampleProc } from "../lib/proc-sample.js";
import { SHIPPED_CLI as CLI } from "../lib/shipped-cli.js";
import { until } from "../lib/until.js";
import type { MemorySample } from "./memory-probe.js";

const MEMORY_PROBE = join(dirname(fileURLToPath(import.meta.url)), "memory-probe.js");
const CLOCK_TICKS = clockTicks();

/** A real controller process for the fleet benchmark; its log (JSON lines) goes to `logFile`. */
export class ControllerProcess {
  child: ChildProcess | undefined;
  startedAt = 0;
  listeningAt = 0;

  constructor(
    private readonly args: string[],
    private readonly logFile: string,
    /** A malloc library the controller process preloads (LD_PRELOAD); the load generator keeps glibc's. */
    private readonly mallocPreload?: string,
    /** Where the preloaded memory probe (memory-probe.ts) writes its samples. */
    private readonly memoryProbeFile = `${logFile}.memory.json`,
  ) {}

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /**
   * Starts it and waits until it prints its listening line, or with `standbyOk` until it
   * either listens or logs that it stands by (a replica on PostgreSQL while another leads:
   * active/standby, docs/postgres.md; it listens later, when it comes to lead: `serving`).
   */
  async start(opts: { standbyOk?: boolean } = {}): Promise<void> {
    const out = openSync(this.logFile, "a");
    this.startedAt = Date.now();
    let stdout = "";
    // VIRTFLEET_BENCH_CONTROLLER_NODE_ARGS: e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the controller.
    const nodeArgs = (process.env.VIRTFLEET_BENCH_CONTROLLER_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
    const probe = ["--import", pathToFileURL(MEMORY_PROBE).href];
    const env = {
      ...process.env,
      VIRTFLEET_LOG_LEVEL: process.env.VIRTFLEET_LOG_LEVEL ?? "info",
      VIRTFLEET_BENCH_MEMORY_PROBE: this.memoryProbeFile,
      ...(this.mallocPreload ? { LD_PRELOAD: this.mallocPreload } : {}),
    };
    const child = spawn(process.execPath, [...nodeArgs, ...probe, CLI, "controller", ...this.args], {
      stdio: ["ignore", "pipe", out],
      env,
    });
    closeSync(out);
    this.child = child;
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (this.listeningAt === 0 && stdout.includes("listening on")) this.listeningAt = Date.now();
    });
    this.listeningAt = 0;
    await until(
      "the controller to listen",
      () =>
        this.listeningAt > 0 || (opts.standbyOk && this.standingBy())
          ? true
          : child.exitCode !== null
            ? fail(this.logFile)
            : undefined,
      120_000,
      5,
    );
  }

  /** Listening now (it printed its listening line since it last started, and runs). */
  get serving(): boolean {
    return this.listeningAt > 0 && this.running;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Its log says it stands by (another replica leads). */
  private standingBy(): boolean {
    try {
      return readFileSync(this.logFile, "utf8").includes('"standby: ');
    } catch {
      return false;
    }
  }

  /**
   * SIGTERM (graceful: Goodbye to every agent), waits for the exit; with `killAfterMs`, a
   * process still running by then is killed (SIGKILL).
   */
  async stop(signal: NodeJS.Signals = "SIGTERM", killAfterMs?: number): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    await exited;
    clearTimeout(timer);
  }

  /** Resident set size now and its peak (VmRSS, VmHWM), bytes. */
  memory(): { rss: number; peak: number } {
    const s = sampleProc(this.pid);
    return { rss: s.rssKb * 1024, peak: s.hwmKb * 1024 };
  }

  /** The probe's latest sample (at most ~1 s old): the controller's memory by kind. */
  memoryByKind(): MemorySample | undefined {
    try {
      return JSON.parse(readFileSync(this.memoryProbeFile, "utf8")) as MemorySample;
    } catch {
      return undefined;
    }
  }

  /** CPU seconds (user + system) used so far. */
  cpuSeconds(): number {
    return sampleProc(this.pid).ticks / CLOCK_TICKS;
  }
}

function fail(logFile: string): never {
  const tail = readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n");
  throw new Error(`the controller exited before listening; its log ends:\n${tail}`);
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}
