/**
 * Benchmark (issue 8): one controller process holding N simulated agents (bench/loadgen: the
 * real protocol over real gRPC on loopback, real mTLS with --mtls, one identity per agent).
 * Phases, against a fresh controller (new store; with --mtls the CA is cached between runs):
 *   connect    all N agents started at once → every one welcomed (connectMs)
 *   fan-out    once every agent's first Report (its answer to the first bundle) is stored
 *              (firstReportsStoredMs after the last first bundle), a policy revision written
 *              to the policies folder → every agent received the
 *              new bundle (fanoutMs; the policy rolls out at once: canary 0, batch 100%,
 *              soak 0s, after the plan stage every agent answers); with --fanouts K, K
 *              revisions one after another (each once the previous rollout succeeded),
 *              fanoutMs and rolloutMs are their medians and fanoutsMs/rolloutsMs list them
 *   ingest     drift events offered at --drift-rate/s for --ingest-seconds; events acknowledged
 *              by the controller (EventsAck: committed to its store) per second (ingestPerSec),
 *              and the rows counted in the store afterwards
 *   memory     controller RSS with all agents connected, right after the ingest
 *              (controllerRssBytes, and per agent), and again after --settle-seconds with
 *              only heartbeats (controllerSettledRssBytes; with V8's heap, memory V8 knows as
 *              external, and the rest, malloc'd native memory, from a preloaded bench probe)
 *   CLI        `virtfleet hosts --json` and `compliance --json` latency (median of --cli-runs,
 *              3 by default); with --baseline-cli PATH (another build's CLI entry, e.g. its dist/bin/virtfleet.js) each
 *              run of this build's CLI is followed by one of PATH against the same controller,
 *              reported as cliHostsBaselineMs / cliComplianceBaselineMs
 *   restart    SIGTERM the controller (Goodbye to all; with --crash SIGKILL: no Goodbye,
 *              the agents notice a dead stream), start it again on the same data folder →
 *              every agent welcomed again (reconnectMs, from the new process's start); failed
 *              attempts after it listened are counted
 * The store: SQLite in the run's data folder; with --store URL (a PostgreSQL role allowed to
 * CREATE DATABASE, e.g. postgres://root@localhost/postgres?host=/var/run/postgresql) a fresh database
 * vft_bench_<pid>_<hex> on that cluster (dropped afterwards unless --keep), the agents'
 * certificates recorded there and a store key in the run's folder (bench/lib/bench-store.ts).
 * Prints one JSON object with --json, else a table.
 *
 * Run: npm run build && npm run -s bench:fleet -- --agents 1000 [--mtls] [--json]
 *      [--workers 2] [--drift-rate 20000] [--ingest-seconds 10] [--settle-seconds 30] [--crash]
 *      [--fanouts 1] [--cli-runs 3] [--baseline-cli PATH]
 *      [--controller-preload /usr/lib/x86_64-linux-gnu/libmimalloc.so.2] [--controller-heap-growth PERCENT]
 *      [--store postgres://root@localhost/postgres?host=/var/run/postgresql] [--keep]
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { DEFAULT_WELCOME_TIMEOUT_MS } from "../agent/link/index.js";
import { AdminClient } from "../cli/admin-client.js";
import { useAdminDataDir } from "../cli/admin-credentials.js";
import { parseHostPort } from "../common/index.js";
import type { RolloutStatusJson } from "../controller/rollout/index.js";
import { openBenchStore, type BenchStore } from "./lib/bench-store.js";
import { intArg, stringArg } from "./lib/cli-args.js";
import { median } from "./lib/stats.js";
import { until } from "./lib/until.js";
import { ControllerProcess, freePort } from "./loadgen/controller-process.js";
import { SHIPPED_CLI as CLI } from "./lib/shipped-cli.js";
import {
  identitiesFile,
  identityCacheDir,
  installCa,
  prepareIdentities,
  recordIdentities,
} from "./loadgen/identities.js";
import { WorkerPool, type Totals } from "./loadgen/worker-pool.js";

const run = promisify(execFile);
const AGENTS = intArg("agents", 1_000);
const WORKERS = intArg("workers", 2);
const DRIFT_RATE = intArg("drift-rate", 20_000);
const INGEST_SECONDS = intArg("ingest-seconds", 10);
const SETTLE_SECONDS = intArg("settle-seconds", 30);
const FANOUTS = intArg("fanouts", 1);
const CLI_RUNS = intArg("cli-runs", 3);
const BASELINE_CLI = stringArg("baseline-cli");
/** --controller-preload PATH: a malloc library for the controller process (LD_PRELOAD), e.g. mimalloc (docs/design/scale.md, "Seventh round"). */
const CONTROLLER_PRELOAD = stringArg("controller-preload");
if (CONTROLLER_PRELOAD !== undefined && !existsSync(CONTROLLER_PRELOAD)) {
  console.error(
    `--controller-preload: ${CONTROLLER_PRELOAD} does not exist (mimalloc: apt-get install libmimalloc2.0)`,
  );
  process.exit(2);
}
/** --controller-heap-growth PERCENT: the controller's --heap-growth (its default when absent; the controller rejects a bad value). */
const CONTROLLER_HEAP_GROWTH = stringArg("controller-heap-growth");
/** --store URL: run the controller on a fresh PostgreSQL database on this cluster (BenchStore). */
const STORE_CLUSTER = stringArg("store");
const MTLS = process.argv.includes("--mtls");
const CRASH = process.argv.includes("--crash");
const JSON_OUT = process.argv.includes("--json");
const KEEP = process.argv.includes("--keep");
const CACHE = identityCacheDir();
const POLICY = "bench-fleet";
const PHASE_TIMEOUT_MS = 300_000;

function progress(msg: string): void {
  if (!JSON_OUT || process.env.VIRTFLEET_BENCH_VERBOSE)
    process.stderr.write(`[fleet ${AGENTS}${MTLS ? " mTLS" : ""} ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
}

function policyYaml(description: string): string {
  return stringify({
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: POLICY, description },
    spec: {
      mode: "enforce",
      rollout: { canary: 0, batchSize: "100%", soak: "0s", maxFailures: 0, onFailure: "pause" },
      resources: {
        networks: [
          {
            name: "bench-net",
            mode: "nat",
            bridge: "virbr-bench",
            ipv4: { address: "192.168.210.1", prefix: 24, dhcp: { start: "192.168.210.100", end: "192.168.210.199" } },
            autostart: true,
            state: "active",
          },
        ],
        pools: [
          { name: "bench-pool", type: "dir", path: "/var/lib/libvirt/bench-pool", autostart: true, state: "active" },
        ],
      },
    },
  });
}

/** Bundles received in `after` that `before` did not hold (a new revision's deliveries). */
function newDeliveries(before: Totals, after: Totals): { count: number; lastAt: number } {
  let count = 0;
  let lastAt = 0;
  for (const [rev, b] of Object.entries(after.bundles)) {
    const n = b.count - (before.bundles[rev]?.count ?? 0);
    if (n > 0 && !before.bundles[rev]) {
      count += n;
      lastAt = Math.max(lastAt, b.lastAt);
    }
  }
  return { count, lastAt };
}

/** One timed CLI process (start to exit) of `cli` (a CLI entry file) with `args`. */
async function timeCli(cli: string, args: string[], dataDir: string, address: string): Promise<number> {
  const auth = MTLS ? ["--data", dataDir] : ["--insecure"];
  const t = performance.now();
  const { stdout } = await run(process.execPath, [cli, ...args, "--controller", address, "--json", ...auth], {
    maxBuffer: 512 * 1024 * 1024,
  });
  const ms = performance.now() - t;
  if (stdout.length < 2) throw new Error(`${cli} ${args.join(" ")} printed nothing`);
  return ms;
}

/**
 * CLI runs that failed (e.g. the controller's deadline passed on an overloaded machine): told
 * in the result (cliErrors) instead of failing the whole run; a median without samples is null.
 */
const cliErrors: string[] = [];

/** timeCli, its failure recorded in cliErrors (undefined then). */
async function timeCliOrNote(
  cli: string,
  args: string[],
  dataDir: string,
  address: string,
): Promise<number | undefined> {
  try {
    return await timeCli(cli, args, dataDir, address);
  } catch (err) {
    const msg = `${args.join(" ")}: ${(err instanceof Error ? err.message : String(err)).split("\n").slice(-2).join(" ").slice(0, 300)}`;
    cliErrors.push(msg);
    progress(`CLI run failed (${msg})`);
    return undefined;
  }
}

const medianOrNull = (xs: number[]): number | null => (xs.length === 0 ? null : Math.round(median(xs)));

/** Median ms of CLI_RUNS runs of this build's CLI, and of BASELINE_CLI interleaved with them when set. */
async function cliMs(
  args: string[],
  dataDir: string,
  address: string,
): Promise<{ ms: number | null; samplesMs: number[]; baselineMs?: number | null; baselineSamplesMs?: number[] }> {
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const t = await timeCliOrNote(CLI, args, dataDir, address);
    if (t !== undefined) ours.push(t);
    if (!BASELINE_CLI) continue;
    const b = await timeCliOrNote(BASELINE_CLI, args, dataDir, address);
    if (b !== undefined) baseline.push(b);
  }
  return {
    ms: medianOrNull(ours),
    samplesMs: ours.map(Math.round),
    ...(BASELINE_CLI ? { baselineMs: medianOrNull(baseline), baselineSamplesMs: baseline.map(Math.round) } : {}),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "vft-bench-fleet-"));
  const dataDir = join(dir, "data");
  const policiesDir = join(dir, "policies");
  mkdirSync(policiesDir);
  const policyFile = join(policiesDir, `${POLICY}.yaml`);
  writeFileSync(policyFile, policyYaml("revision 1"));
  const store = await openBenchStore(STORE_CLUSTER, dir, dataDir).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  try {
    await runIn(dir, dataDir, policiesDir, policyFile, store);
  } finally {
    if (KEEP)
      progress(`kept ${dir}${store.engine === "postgres" ? ` and its database (${store.controllerArgs[1]})` : ""}`);
    else {
      rmSync(dir, { recursive: true, force: true });
      await store.drop();
    }
  }
}

async function runIn(
  dir: string,
  dataDir: string,
  policiesDir: string,
  policyFile: string,
  store: BenchStore,
): Promise<void> {
  let tls: { caPem: string; identitiesFile: string } | undefined;
  if (MTLS) {
    const t = Date.now();
    const identities = await prepareIdentities(CACHE, AGENTS, (n) => progress(`issuing identities: ${n}/${AGENTS}`));
    const caFile = installCa(CACHE, dataDir);
    await recordIdentities(identities, dataDir);
    await store.recordCertificates(identities);
    tls = { caPem: readFileSync(caFile, "utf8"), identitiesFile: identitiesFile(CACHE) };
    progress(`${AGENTS} identities ready (${Date.now() - t} ms)`);
  }
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const controller = new ControllerProcess(
    [
      "--listen",
      address,
      "--data",
      dataDir,
      "--policies",
      policiesDir,
      ...(MTLS ? [] : ["--insecure"]),
      ...store.controllerArgs,
      "--max-connections",
      String(AGENTS + 1_000),
      "--max-connections-per-address",
      String(AGENTS + 1_000),
      ...(CONTROLLER_HEAP_GROWTH === undefined ? [] : ["--heap-growth", CONTROLLER_HEAP_GROWTH]),
    ],
    join(dir, "controller.log"),
    CONTROLLER_PRELOAD,
  );
  let pool: WorkerPool | undefined;
  try {
    await controller.start();
    progress(`controller listening (pid ${controller.pid})`);
    pool = await WorkerPool.start(WORKERS, AGENTS, {
      target: address,
      tls,
      welcomeTimeoutMs: DEFAULT_WELCOME_TIMEOUT_MS,
    });
    const p = pool;
    const all = (t: Totals) => t.connected >= AGENTS;

    // connect from cold
    const t0 = Date.now();
    p.broadcast({ type: "connect" });
    let t = await until(
      "all agents to connect",
      () => (all(p.totals()) ? p.totals() : undefined),
      PHASE_TIMEOUT_MS,
      20,
    );
    const connectMs = t.lastWelcomeAt - t0;
    const coldFailures = t.failedAttempts;
    const coldDeferred = t.deferredAttempts;
    progress(`connected ${t.connected} in ${connectMs} ms (${coldFailures} failed attempts)`);
    await until(
      "every agent's first bundle",
      () => (Object.values(p.totals().bundles).reduce((n, b) => n + b.count, 0) >= AGENTS ? true : undefined),
      PHASE_TIMEOUT_MS,
      50,
    );
    // Each agent answers its first bundle with a Report; the fan-out is measured from a fleet
    // whose first Reports are stored, not while the controller still ingests the cold start's.
    const firstBundlesAt = Date.now();
    await until(
      "every agent's first Report stored",
      async () => ((await reportedHosts(store)) >= AGENTS ? true : undefined),
      PHASE_TIMEOUT_MS,
      250,
    );
    const firstReportsStoredMs = Date.now() - firstBundlesAt;
    progress(`every agent's first Report stored ${firstReportsStoredMs} ms after the last first bundle`);

    // fan-out of new revisions, one after another
    let previousRevision = (await rolloutWhere(address, dataDir, "the first revision's rollout", () => true)).revision;
    const fanoutsMs: number[] = [];
    const rolloutsMs: number[] = [];
    for (let k = 0; k < FANOUTS; k++) {
      const before = await p.fresh();
      const t1 = Date.now();
      progress(
        `writing revision ${k + 2} (monotonic clock ${process.hrtime.bigint() / 1000n} µs, as in a --cpu-prof profile)`,
      );
      writeFileSync(policyFile, policyYaml(`revision ${k + 2}`));
      await until(
        "the new revision at every agent",
        () => (newDeliveries(before, p.totals()).count >= AGENTS ? true : undefined),
        PHASE_TIMEOUT_MS,
        20,
      );
      fanoutsMs.push(newDeliveries(before, p.totals()).lastAt - t1);
      progress(`fan-out to ${AGENTS} in ${fanoutsMs.at(-1)} ms`);
      // The drift below (and the next revision) must not land in the rollout's stage.
      const prior = previousRevision;
      const done = await rolloutWhere(
        address,
        dataDir,
        "the rollout to succeed",
        (st) => st.revision !== prior && st.state !== "running" && st.state !== "pending",
      );
      rolloutsMs.push(Date.now() - t1);
      if (done.state !== "succeeded")
        throw new Error(`the rollout ended ${done.state}: ${JSON.stringify(done).slice(0, 300)}`);
      progress(`rollout succeeded ${rolloutsMs.at(-1)} ms after the write`);
      previousRevision = done.revision;
    }
    const fanoutMs = Math.round(median(fanoutsMs));
    const rolloutMs = Math.round(median(rolloutsMs));

    // drift ingest
    await new Promise((r) => setTimeout(r, 1_000));
    const pre = await p.fresh();
    p.broadcast({ type: "drift", perSecond: DRIFT_RATE / p.size, seconds: INGEST_SECONDS });
    await new Promise((r) => setTimeout(r, INGEST_SECONDS * 1000));
    t = await until(
      "every drift event acknowledged",
      async () => {
        const now = await p.fresh();
        return now.eventsAcked - pre.eventsAcked >= now.eventsSent - pre.eventsSent ? now : undefined;
      },
      PHASE_TIMEOUT_MS,
      100,
    );
    const events = t.eventsSent - pre.eventsSent;
    const ingestPerSec = Math.round(events / ((t.lastAckAt - t.firstEventAt) / 1000));
    progress(`ingested ${events} drift events at ${ingestPerSec}/s`);

    const memory = controller.memory();
    progress(`controller RSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB after the ingest; settling ${SETTLE_SECONDS} s`);
    await new Promise((r) => setTimeout(r, SETTLE_SECONDS * 1000));
    const settled = controller.memory();
    const byKind = controller.memoryByKind();
    const cliHosts = await cliMs(["hosts"], dataDir, address);
    const cliCompliance = await cliMs(["compliance"], dataDir, address);
    const cliHostsMs = cliHosts.ms;
    const cliComplianceMs = cliCompliance.ms;
    const baselineNote = BASELINE_CLI
      ? ` (baseline CLI: hosts ${cliHosts.baselineMs} ms, compliance ${cliCompliance.baselineMs} ms)`
      : "";
    progress(
      `controller RSS ${(settled.rss / 2 ** 20).toFixed(0)} MiB settled (heap ${mib(byKind?.heapTotalBytes)}, native ${mib(byKind?.nativeBytes)}); hosts ${cliHostsMs} ms, compliance ${cliComplianceMs} ms${baselineNote}`,
    );

    // reconnect storm after a restart
    const firstCpuSeconds = controller.cpuSeconds();
    const forcedStop = await stopController(controller, CRASH ? "SIGKILL" : "SIGTERM");
    const stored = await countDrift(store);
    await controller.start();
    const atListen = await p.fresh();
    t = await until("all agents to reconnect", () => (all(p.totals()) ? p.totals() : undefined), PHASE_TIMEOUT_MS, 20);
    const reconnectMs = t.lastWelcomeAt - controller.startedAt;
    const failedAfterRestart = t.failedAttempts - atListen.failedAttempts;
    const deferredAfterRestart = t.deferredAttempts - atListen.deferredAttempts;
    progress(
      `reconnected ${t.connected} in ${reconnectMs} ms after the ${CRASH ? "crash" : "restart"} (${failedAfterRestart} failed attempts after it listened)`,
    );

    const result = {
      agents: AGENTS,
      store: store.engine,
      connected: t.connected,
      connectMs,
      fanoutMs,
      reconnectMs,
      ingestPerSec,
      controllerRssBytes: memory.rss,
      mtls: MTLS,
      controllerPreload: CONTROLLER_PRELOAD ?? null,
      controllerHeapGrowth: CONTROLLER_HEAP_GROWTH ?? null,
      // Allocator settings the controller inherited (e.g. MIMALLOC_RESET_DELAY, MALLOC_ARENA_MAX).
      controllerMallocEnv: Object.fromEntries(
        Object.entries(process.env).filter(([k]) => /^(MIMALLOC|MALLOC)_/.test(k)),
      ),
      controllerPeakRssBytes: memory.peak,
      controllerSettledRssBytes: settled.rss,
      settleSeconds: SETTLE_SECONDS,
      controllerSettledHeapBytes: byKind?.heapTotalBytes,
      controllerSettledHeapUsedBytes: byKind?.heapUsedBytes,
      controllerSettledExternalBytes: byKind?.externalBytes,
      controllerSettledNativeBytes: byKind?.nativeBytes,
      controllerSettledHeapSpaces: byKind?.heapSpaces,
      restart: CRASH ? "crash" : "graceful",
      ...(forcedStop ? { restartForcedKill: true } : {}),
      rolloutMs,
      firstReportsStoredMs,
      ...(FANOUTS > 1 ? { fanoutsMs, rolloutsMs } : {}),
      rssPerAgentBytes: Math.round(memory.rss / AGENTS),
      coldFailedAttempts: coldFailures,
      restartFailedAttempts: failedAfterRestart,
      restartDeferredAttempts: deferredAfterRestart,
      coldDeferredAttempts: coldDeferred,
      failuresByReason: t.failuresByReason,
      driftEventsSent: events,
      driftEventsStored: stored,
      cliHostsMs,
      cliComplianceMs,
      cliComplianceSamplesMs: cliCompliance.samplesMs,
      ...(cliErrors.length > 0 ? { cliErrors } : {}),
      ...(BASELINE_CLI
        ? {
            baselineCli: BASELINE_CLI,
            cliHostsBaselineMs: cliHosts.baselineMs,
            cliComplianceBaselineMs: cliCompliance.baselineMs,
            cliComplianceBaselineSamplesMs: cliCompliance.baselineSamplesMs,
          }
        : {}),
      controllerCpuSeconds: firstCpuSeconds,
      restartedControllerCpuSeconds: controller.cpuSeconds(),
      loadgenRssBytes: t.rssBytes,
    };
    if (JSON_OUT) process.stdout.write(JSON.stringify(result) + "\n");
    else printTable(result);
  } finally {
    await pool?.stop().catch(() => pool?.kill());
    await stopController(controller, "SIGTERM").catch(() => undefined);
  }
}

/** How long a SIGTERM'd controller may take to exit before it is killed. */
const STOP_TIMEOUT_MS = 30_000;

/**
 * Stops the controller with `signal`; one that has not exited STOP_TIMEOUT_MS after a SIGTERM
 * is SIGKILLed (true: it had to be). A PostgreSQL controller told to stop may otherwise stand
 * by again instead of exiting, and the run would wait forever.
 */
async function stopController(controller: ControllerProcess, signal: NodeJS.Signals): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const exited = await Promise.race([
    controller.stop(signal).then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), STOP_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (exited) return false;
  progress(`the controller did not exit ${STOP_TIMEOUT_MS / 1000} s after ${signal}: killing it`);
  await controller.stop("SIGKILL");
  return true;
}

/** Polls the bench policy's newest rollout (admin API, as the CLI authenticates) until `ok` holds for it. */
async function rolloutWhere(
  address: string,
  dataDir: string,
  what: string,
  ok: (st: RolloutStatusJson) => boolean,
): Promise<RolloutStatusJson> {
  if (MTLS) useAdminDataDir(dataDir);
  const admin = new AdminClient(parseHostPort(address, "--controller"), !MTLS);
  try {
    return await until(
      what,
      async () => {
        const st = await admin.rolloutStatus(POLICY).catch(() => null);
        return st && ok(st) ? st : undefined;
      },
      PHASE_TIMEOUT_MS,
      50,
    );
  } finally {
    admin.close();
  }
}

/** Hosts the controller has stored a Report of. */
function reportedHosts(store: BenchStore): Promise<number> {
  return store.count("SELECT COUNT(*) AS n FROM hosts WHERE last_report_at IS NOT NULL");
}

/** Drift rows the controller stored (read after it stopped). */
function countDrift(store: BenchStore): Promise<number> {
  return store.count("SELECT COUNT(*) AS n FROM drift_events");
}

function mib(bytes: number | undefined): string {
  return bytes === undefined ? "?" : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function printTable(r: Record<string, unknown>): void {
  console.log(
    `\nfleet benchmark: ${AGENTS} simulated agents, ${r.store} store, ${MTLS ? "mTLS" : "plaintext (--insecure)"}, ${WORKERS} load generator workers, ${os.cpus().length} cores`,
  );
  for (const [k, v] of Object.entries(r))
    console.log(`  ${k.padEnd(24)} ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
