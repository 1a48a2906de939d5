import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { until } from "../lib/until.js";
import type { ToWorker, WorkerInit, WorkerStats } from "./protocol.js";

const WORKER = fileURLToPath(new URL("./worker.js", import.meta.url));

/** The load generator's worker processes, each running a slice of the simulated agents. */
export class WorkerPool {
  private readonly workers: { child: ChildProcess; stats: WorkerStats | undefined }[] = [];

  /** Forks `count` workers sharing agents [0, agents) and waits until each has built its agents. */
  static async start(
    count: number,
    agents: number,
    init: Omit<WorkerInit, "type" | "from" | "to">,
  ): Promise<WorkerPool> {
    const pool = new WorkerPool();
    for (let w = 0; w < count; w++) {
      const from = Math.floor((agents * w) / count);
      const to = Math.floor((agents * (w + 1)) / count);
      const child = fork(WORKER, [], {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        execArgv: [
          "--max-old-space-size=4096",
          ...(process.env.VIRTFLEET_LOADGEN_PROFILE
            ? ["--cpu-prof", `--cpu-prof-dir=${process.env.VIRTFLEET_LOADGEN_PROFILE}`]
            : []),
        ],
      });
      const entry = { child, stats: undefined as WorkerStats | undefined };
      child.on("message", (m: WorkerStats) => (entry.stats = m));
      child.send({ type: "init", ...init, from, to } satisfies ToWorker);
      pool.workers.push(entry);
    }
    await until(
      "the load generator workers",
      () => (pool.workers.every((w) => w.stats?.ready || w.child.exitCode !== null) ? true : undefined),
      600_000,
      50,
    );
    if (pool.workers.some((w) => w.child.exitCode !== null))
      throw new Error("a load generator worker exited while starting");
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  broadcast(m: ToWorker): void {
    for (const w of this.workers) w.child.send(m);
  }

  /** Sums the workers' latest counters (at most STATS_EVERY_MS old). */
  totals(): Totals {
    const t: Totals = {
      connected: 0,
      connectedByTarget: [],
      attempts: 0,
      failedAttempts: 0,
      deferredAttempts: 0,
      failuresByReason: {},
      lastWelcomeAt: 0,
      bundles: {},
      plansAnswered: 0,
      eventsSent: 0,
      eventsAcked: 0,
      firstEventAt: 0,
      lastAckAt: 0,
      rssBytes: 0,
    };
    for (const { stats: s } of this.workers) {
      if (!s) continue;
      t.connected += s.connected;
      s.connectedByTarget.forEach((n, i) => (t.connectedByTarget[i] = (t.connectedByTarget[i] ?? 0) + (n ?? 0)));
      t.attempts += s.attempts;
      t.failedAttempts += s.failedAttempts;
      t.deferredAttempts += s.deferredAttempts;
      for (const [k, v] of Object.entries(s.failuresByReason)) t.failuresByReason[k] = (t.failuresByReason[k] ?? 0) + v;
      t.lastWelcomeAt = Math.max(t.lastWelcomeAt, s.lastWelcomeAt);
      for (const [rev, b] of Object.entries(s.bundles)) {
        const have = t.bundles[rev];
        t.bundles[rev] = have ? { count: have.count + b.count, lastAt: Math.max(have.lastAt, b.lastAt) } : { ...b };
      }
      t.plansAnswered += s.plansAnswered;
      t.eventsSent += s.eventsSent;
      t.eventsAcked += s.eventsAcked;
      t.firstEventAt = t.firstEventAt === 0 ? s.firstEventAt : Math.min(t.firstEventAt, s.firstEventAt || Infinity);
      t.lastAckAt = Math.max(t.lastAckAt, s.lastAckAt);
      t.rssBytes += s.rssBytes;
    }
    return t;
  }

  /** Waits for fresh counters from every worker (after a state change the caller awaits). */
  async fresh(): Promise<Totals> {
    for (const w of this.workers) w.stats = undefined;
    await until(
      "fresh load generator counters",
      () => (this.workers.every((w) => w.stats) ? true : undefined),
      10_000,
      10,
    );
    return this.totals();
  }

  async stop(): Promise<void> {
    this.broadcast({ type: "stop" });
    await Promise.all(
      this.workers.map((w) => (w.child.exitCode !== null ? undefined : new Promise((r) => w.child.once("exit", r)))),
    );
  }

  kill(): void {
    for (const w of this.workers) w.child.kill("SIGKILL");
  }
}

export type Totals = Omit<WorkerStats, "type" | "agents" | "ready">;
