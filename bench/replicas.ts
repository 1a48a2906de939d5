/**
 * Benchmark (issue 25): the same N simulated agents (bench/loadgen: the real protocol over real
 * gRPC on loopback, mTLS by default, one identity per agent) served by
 *   A  one controller process on its default SQLite store, and
 *   B  --replicas (3) controller replica processes on one fresh PostgreSQL database
 *      (vft_bench_<pid>, created on the local cluster and dropped afterwards),
 * one after the other in one run, on this machine. The agents are given every controller's
 * address and each spreads over them by a hash of its name and fails over to the next with
 * its backoff, as the real agent does with `--controller a,b,c` (bench/loadgen/targets.ts).
 * Phases, for each:
 *   connect    all N started at once → every one welcomed (connectMs)
 *   fan-out    once every first Report is stored, a new policy revision written to the
 *              policies folder all controllers are given (the leader acts on it) → every
 *              agent received the new bundle (fanoutMs; target < 10 s)
 *   ingest     drift offered at --drift-rate/s for --ingest-seconds → events acknowledged
 *              (stored) per second (ingestPerSec; target ≥ 10,000/s on PostgreSQL)
 *   CLI        `virtfleet hosts --json --controller <every address>`, median of 3 (cliHostsMs)
 *   crash      SIGKILL the controller holding most agents (A: the only one, started again at
 *              once; B: the replica with most streams, not restarted) → every agent welcomed
 *              again (reconnectMs, from the kill; target < 30 s); attempts that failed after
 *              the kill, connections refused (a dead or standby replica: the agent moves on)
 *              counted apart from failed handshakes (target 0)
 * Gates on correctness: every agent connected at the end, drift rows stored = events
 * acknowledged, no id stored twice; exits 1 otherwise. Prints B/A per phase (time for the same
 * work; the issue's target ≤ 1.5). A table, or one JSON object with --json.
 *
 * Run: npm run -s bench:replicas -- [--agents 10000] [--no-mtls] [--workers 2] [--replicas 3]
 *      [--drift-rate 20000] [--ingest-seconds 10] [--only sqlite|postgres] [--phase-timeout-seconds 600]
 *      [--keep] [--json]
 * PostgreSQL: VIRTFLEET_BENCH_PG (a URL of a role allowed to CREATE DATABASE), by default the
 * local cluster's unix socket /var/run/postgresql as the current user.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { DEFAULT_WELCOME_TIMEOUT_MS } from "../agent/link/index.js";
import { AdminClient } from "../cli/admin-client.js";
import { useAdminDataDir } from "../cli/admin-credentials.js";
import { parseHostPortList } from "../common/index.js";
import type { RolloutStatusJson } from "../controller/rollout/index.js";
import { intArg, stringArg } from "./lib/cli-args.js";
import { type Deployment, PostgresReplicas, SqliteDeployment } from "./lib/controller-deployments.js";
import { SHIPPED_CLI as CLI } from "./lib/shipped-cli.js";
import { median } from "./lib/stats.js";
import { until } from "./lib/until.js";
import { cachedCaPem, identitiesFile, identityCacheDir, prepareIdentities } from "./loadgen/identities.js";
import { REFUSED } from "./loadgen/simulated-agent.js";
import { type Totals, WorkerPool } from "./loadgen/worker-pool.js";

const run = promisify(execFile);
const AGENTS = intArg("agents", 10_000);
const WORKERS = intArg("workers", 2);
const REPLICAS = intArg("replicas", 3);
const DRIFT_RATE = intArg("drift-rate", 20_000);
const INGEST_SECONDS = intArg("ingest-seconds", 10);
const CLI_RUNS = 3;
const ONLY = stringArg("only");
if (ONLY !== undefined && ONLY !== "sqlite" && ONLY !== "postgres") {
  console.error("--only takes sqlite or postgres");
  process.exit(2);
}
const MTLS = !process.argv.includes("--no-mtls");
const JSON_OUT = process.argv.includes("--json");
const KEEP = process.argv.includes("--keep");
const CACHE = identityCacheDir();
const POLICY = "bench-replicas";
const PHASE_TIMEOUT_MS = intArg("phase-timeout-seconds", 600) * 1000;
/** How long the fan-out's rollout may take to end before the run goes on without it. */
const ROLLOUT_WAIT_MS = Math.min(PHASE_TIMEOUT_MS, 120_000);

/** The issue's targets, checked per run. */
const TARGETS = { fanoutMs: 10_000, reconnectMs: 30_000, postgresIngestPerSec: 10_000, ratio: 1.5 };

function progress(name: string, msg: string): void {
  if (!JSON_OUT || process.env.VIRTFLEET_BENCH_VERBOSE)
    process.stderr.write(`[replicas ${AGENTS} ${name} ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
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
            ipv4: { address: "192.168.211.1", prefix: 24, dhcp: { start: "192.168.211.100", end: "192.168.211.199" } },
            autostart: true,
            state: "active",
          },
        ],
      },
    },
  });
}

/** Bundles of revisions `before` did not hold: how many agents got one, and the last receipt. */
function newDeliveries(before: Totals, after: Totals): { count: number; lastAt: number } {
  let count = 0;
  let lastAt = 0;
  for (const [rev, b] of Object.entries(after.bundles))
    if (!before.bundles[rev]) {
      count += b.count;
      lastAt = Math.max(lastAt, b.lastAt);
    }
  return { count, lastAt };
}

/** Failed attempts of `after` not in `before`, by reason. */
function failuresSince(before: Totals, after: Totals): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.failuresByReason)) {
    const n = v - (before.failuresByReason[k] ?? 0);
    if (n > 0) out[k] = n;
  }
  return out;
}

/** Of `failures` (by reason): refused connections (nothing listening) and the rest (failed handshakes, timeouts). */
function split(failures: Record<string, number>): { refused: number; failedHandshakes: number } {
  let refused = 0;
  let failedHandshakes = 0;
  for (const [k, v] of Object.entries(failures))
    if (k.includes(REFUSED)) refused += v;
    else failedHandshakes += v;
  return { refused, failedHandshakes };
}

export interface PhaseResults {
  controllers: number;
  connected: number;
  connectMs: number;
  coldRefused: number;
  coldFailedHandshakes: number;
  /** Agents per controller once all connected (by address index). */
  agentsPerController: number[];
  firstReportsStoredMs: number;
  fanoutMs: number;
  /** Revision written → its rollout succeeded; null: still running after the phase timeout. */
  rolloutMs: number | null;
  ingestPerSec: number;
  driftEventsSent: number;
  driftEventsAcked: number;
  /** The store's writes during the ingest (PostgreSQL: commits, rows, the server's WAL bytes), null on SQLite. */
  ingestWrites: Record<string, number> | null;
  /** Median of the runs that succeeded; null when none did. */
  cliHostsMs: number | null;
  cliHostsSamplesMs: number[];
  cliHostsErrors: string[];
  crashedController: number;
  agentsOnCrashed: number;
  /** From the kill until a controller serves (A: the restarted one listens; B: a replica listens, at once when all serve). */
  servingAgainMs: number;
  reconnectMs: number;
  reconnectRefused: number;
  reconnectFailedHandshakes: number;
  reconnectFailuresByReason: Record<string, number>;
  agentsPerControllerAfter: number[];
  driftRowsStored: number;
  driftIdsDistinct: number;
  controllersCpuSeconds: number;
  controllersRssBytesAfterIngest: number;
  facts: Record<string, unknown>;
  correct: boolean;
  problems: string[];
}

/** Runs every phase against `d` (started here, stopped by the caller). */
async function measure(
  d: Deployment,
  policyFile: string,
  tls: { caPem: string; identitiesFile: string } | undefined,
): Promise<PhaseResults> {
  const say = (m: string) => progress(d.name, m);
  writeFileSync(policyFile, policyYaml("revision 1"));
  await d.start();
  const target = d.addresses.join(",");
  say(
    `controllers at ${target} (serving: ${d
      .serving()
      .map((s) => (s ? "yes" : "no"))
      .join(",")})`,
  );
  const pool = await WorkerPool.start(WORKERS, AGENTS, { target, tls, welcomeTimeoutMs: DEFAULT_WELCOME_TIMEOUT_MS });
  try {
    const p = pool;
    const all = (t: Totals) => t.connected >= AGENTS;

    // connect
    const zero = await p.fresh();
    const t0 = Date.now();
    p.broadcast({ type: "connect" });
    let t = await until(
      "all agents to connect",
      () => (all(p.totals()) ? p.totals() : undefined),
      PHASE_TIMEOUT_MS,
    ).catch((err: Error) => {
      const now = p.totals();
      throw new Error(
        `${err.message}: ${now.connected} connected, ${now.attempts} attempts, failures ${JSON.stringify(now.failuresByReason)}`,
      );
    });
    const connectMs = t.lastWelcomeAt - t0;
    const cold = split(failuresSince(zero, t));
    say(`connected ${t.connected} in ${connectMs} ms (refused ${cold.refused}, failed ${cold.failedHandshakes})`);
    await until(
      "every agent's first bundle",
      () => (Object.values(p.totals().bundles).reduce((n, b) => n + b.count, 0) >= AGENTS ? true : undefined),
      PHASE_TIMEOUT_MS,
      50,
    );
    const firstBundlesAt = Date.now();
    await until(
      "every agent's first Report stored",
      async () => ((await d.counts.reportedHosts()) >= AGENTS ? true : undefined),
      PHASE_TIMEOUT_MS,
      250,
    );
    const firstReportsStoredMs = Date.now() - firstBundlesAt;
    const agentsPerController = [...(await p.fresh()).connectedByTarget];
    say(
      `first Reports stored ${firstReportsStoredMs} ms after the last first bundle; agents per controller ${agentsPerController}`,
    );

    // fan-out
    const first = await rolloutWhere(d, "the first revision's rollout", () => true);
    const before = await p.fresh();
    const t1 = Date.now();
    writeFileSync(policyFile, policyYaml("revision 2"));
    await until(
      "the new revision at every agent",
      () => (newDeliveries(before, p.totals()).count >= AGENTS ? true : undefined),
      PHASE_TIMEOUT_MS,
    );
    const fanoutMs = newDeliveries(before, p.totals()).lastAt - t1;
    // The drift below should not land in the rollout's stage: wait for its end, at most
    // ROLLOUT_WAIT_MS (a rollout still running then is reported as null; the fan-out stands).
    const done = await rolloutWhere(
      d,
      "the rollout to end",
      (st) => st.revision !== first.revision && st.state !== "running" && st.state !== "pending",
      ROLLOUT_WAIT_MS,
    ).catch(() => undefined);
    const rolloutMs = done ? Date.now() - t1 : null;
    if (done && done.state !== "succeeded") throw new Error(`the rollout ended ${done.state}`);
    say(`fan-out ${fanoutMs} ms, rollout ${done ? `succeeded after ${rolloutMs} ms` : "still running"}`);

    // ingest
    await new Promise((r) => setTimeout(r, 1_000));
    const pre = await p.fresh();
    const countersBefore = await d.writeCounters();
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
    const driftEventsSent = t.eventsSent - pre.eventsSent;
    const driftEventsAcked = t.eventsAcked - pre.eventsAcked;
    const ingestPerSec = Math.round(driftEventsSent / ((t.lastAckAt - t.firstEventAt) / 1000));
    const controllersRssBytesAfterIngest = d.rssBytes();
    await new Promise((r) => setTimeout(r, 1_500)); // PostgreSQL publishes its counters within a second
    const countersAfter = await d.writeCounters();
    const ingestWrites =
      countersBefore && countersAfter
        ? Object.fromEntries(Object.entries(countersAfter).map(([k, v]) => [k, v - (countersBefore[k] ?? 0)]))
        : null;
    const facts = await d.facts();
    say(
      `ingested ${driftEventsSent} drift events at ${ingestPerSec}/s; writes ${JSON.stringify(ingestWrites)}; ${JSON.stringify(facts)}`,
    );

    // CLI
    // A run that fails (e.g. a replica's deadline exceeded under load) is counted, not timed.
    const samples: number[] = [];
    const cliHostsErrors: string[] = [];
    for (let i = 0; i < CLI_RUNS; i++)
      await timeCli(["hosts"], d.adminDataDir(), target).then(
        (ms) => samples.push(ms),
        (err: Error) =>
          cliHostsErrors.push(err.message.split("\n").find((l) => l.startsWith("virtfleet:")) ?? err.message),
      );
    const cliHostsMs = samples.length > 0 ? Math.round(median(samples)) : null;
    say(`hosts --json ${cliHostsMs} ms (${samples.map(Math.round).join(", ")}); failed: ${cliHostsErrors.length}`);

    // crash of the busiest controller
    const atCrash = await p.fresh();
    const cpuBefore = d.cpuSeconds();
    const { index: crashed, killedAt } = await d.crashBusiest(atCrash.connectedByTarget);
    const agentsOnCrashed = atCrash.connectedByTarget[crashed] ?? 0;
    say(`killed controller ${crashed + 1} (${agentsOnCrashed} agents)`);
    const serving = until(
      "a controller serving again",
      () => (d.serving().some(Boolean) ? Date.now() : undefined),
      PHASE_TIMEOUT_MS,
      10,
    );
    await new Promise((r) => setTimeout(r, 300));
    t = await until(
      "all agents to reconnect",
      async () => {
        const now = await p.fresh();
        return all(now) && now.lastWelcomeAt > killedAt ? now : undefined;
      },
      PHASE_TIMEOUT_MS,
      20,
    );
    const reconnectMs = t.lastWelcomeAt - killedAt;
    const servingAgainMs = (await serving) - killedAt;
    const reconnectFailuresByReason = failuresSince(atCrash, t);
    const rc = split(reconnectFailuresByReason);
    const agentsPerControllerAfter = [...t.connectedByTarget];
    say(
      `reconnected ${t.connected} in ${reconnectMs} ms after the kill, a controller serving after ${servingAgainMs} ms (refused ${rc.refused}, failed ${rc.failedHandshakes}); per controller ${agentsPerControllerAfter}`,
    );

    // correctness
    const drift = await d.counts.drift();
    const problems: string[] = [];
    if (t.connected < AGENTS) problems.push(`${t.connected} of ${AGENTS} agents connected at the end`);
    if (driftEventsAcked !== driftEventsSent)
      problems.push(`${driftEventsSent} drift events sent, ${driftEventsAcked} acknowledged`);
    if (drift.rows !== driftEventsAcked)
      problems.push(`${driftEventsAcked} drift events acknowledged, ${drift.rows} rows stored`);
    if (drift.distinct !== drift.rows) problems.push(`${drift.rows - drift.distinct} drift rows stored twice`);
    return {
      controllers: d.addresses.length,
      connected: t.connected,
      connectMs,
      coldRefused: cold.refused,
      coldFailedHandshakes: cold.failedHandshakes,
      agentsPerController,
      firstReportsStoredMs,
      fanoutMs,
      rolloutMs,
      ingestPerSec,
      driftEventsSent,
      driftEventsAcked,
      ingestWrites,
      cliHostsMs,
      cliHostsSamplesMs: samples.map(Math.round),
      cliHostsErrors,
      crashedController: crashed + 1,
      agentsOnCrashed,
      servingAgainMs,
      reconnectMs,
      reconnectRefused: rc.refused,
      reconnectFailedHandshakes: rc.failedHandshakes,
      reconnectFailuresByReason,
      agentsPerControllerAfter,
      driftRowsStored: drift.rows,
      driftIdsDistinct: drift.distinct,
      controllersCpuSeconds: Math.round(cpuBefore * 10) / 10,
      controllersRssBytesAfterIngest,
      facts,
      correct: problems.length === 0,
      problems,
    };
  } finally {
    await pool.stop().catch(() => pool.kill());
  }
}

/** One timed `virtfleet ARGS --json` process against every address (start to exit), ms. */
async function timeCli(args: string[], dataDir: string, addresses: string): Promise<number> {
  const auth = MTLS ? ["--data", dataDir] : ["--insecure"];
  const t = performance.now();
  const { stdout } = await run(process.execPath, [CLI, ...args, "--controller", addresses, "--json", ...auth], {
    maxBuffer: 512 * 1024 * 1024,
  });
  const ms = performance.now() - t;
  if (stdout.length < 2) throw new Error(`virtfleet ${args.join(" ")} printed nothing`);
  return ms;
}

/** Polls the bench policy's newest rollout (admin API, any replica) until `ok` holds for it. */
async function rolloutWhere(
  d: Deployment,
  what: string,
  ok: (st: RolloutStatusJson) => boolean,
  timeoutMs = PHASE_TIMEOUT_MS,
): Promise<RolloutStatusJson> {
  if (MTLS) useAdminDataDir(d.adminDataDir());
  const admin = new AdminClient(parseHostPortList(d.addresses.join(","), "--controller"), !MTLS);
  try {
    return await until(
      what,
      async () => {
        const st = await admin.rolloutStatus(POLICY).catch(() => null);
        return st && ok(st) ? st : undefined;
      },
      timeoutMs,
      50,
    );
  } finally {
    admin.close();
  }
}

/** B/A of the time each phase took for the same work (ingest: the inverse of the rates). */
function ratios(a: PhaseResults, b: PhaseResults): Record<string, number> {
  const r = (x: number, y: number) => Math.round((y / x) * 100) / 100;
  return {
    connect: r(a.connectMs, b.connectMs),
    fanout: r(a.fanoutMs, b.fanoutMs),
    ingest: r(b.ingestPerSec, a.ingestPerSec),
    reconnect: r(a.reconnectMs, b.reconnectMs),
    ...(a.cliHostsMs !== null && b.cliHostsMs !== null ? { cliHosts: r(a.cliHostsMs, b.cliHostsMs) } : {}),
  };
}

function targetsMet(a: PhaseResults | undefined, b: PhaseResults | undefined): Record<string, boolean> {
  const met: Record<string, boolean> = {};
  for (const [name, x] of [
    ["sqlite", a],
    ["postgres", b],
  ] as const) {
    if (!x) continue;
    met[`${name}.correct`] = x.correct;
    met[`${name}.fanout<10s`] = x.fanoutMs < TARGETS.fanoutMs;
    met[`${name}.reconnect<30s`] = x.reconnectMs < TARGETS.reconnectMs;
    met[`${name}.noFailedHandshake`] = x.reconnectFailedHandshakes === 0;
    met[`${name}.cliHostsAnswered`] = x.cliHostsErrors.length === 0;
  }
  if (b) met["postgres.ingest>=10000/s"] = b.ingestPerSec >= TARGETS.postgresIngestPerSec;
  if (a && b)
    for (const [k, v] of Object.entries(ratios(a, b))) met[`ratio.${k}<=${TARGETS.ratio}`] = v <= TARGETS.ratio;
  return met;
}

const ROWS: [keyof PhaseResults, string][] = [
  ["controllers", "controller processes"],
  ["connected", "agents connected at the end"],
  ["connectMs", "connect: all welcomed (ms)"],
  ["coldRefused", "  attempts refused (standby/none)"],
  ["coldFailedHandshakes", "  failed handshakes"],
  ["agentsPerController", "  agents per controller"],
  ["firstReportsStoredMs", "first Reports stored (ms)"],
  ["fanoutMs", "fan-out: every agent has it (ms)"],
  ["rolloutMs", "rollout succeeded (ms)"],
  ["ingestPerSec", "ingest: events acked per s"],
  ["driftEventsAcked", "  drift events acknowledged"],
  ["driftRowsStored", "  drift rows stored"],
  ["driftIdsDistinct", "  distinct drift ids"],
  ["cliHostsMs", "hosts --json, median of 3 (ms)"],
  ["agentsOnCrashed", "agents on the killed controller"],
  ["servingAgainMs", "a controller serving after kill (ms)"],
  ["reconnectMs", "reconnect after kill -9 (ms)"],
  ["reconnectRefused", "  attempts refused"],
  ["reconnectFailedHandshakes", "  failed handshakes"],
  ["agentsPerControllerAfter", "  agents per controller after"],
  ["controllersCpuSeconds", "controllers' CPU until the kill (s)"],
  ["controllersRssBytesAfterIngest", "controllers' RSS after ingest (B)"],
  ["correct", "correct (connected, none lost/doubled)"],
];

function printTable(result: Output): void {
  const { sqlite: a, postgres: b } = result;
  const ratio = result.ratios as Record<string, number> | undefined;
  const ratioKey: Partial<Record<keyof PhaseResults, string>> = {
    connectMs: "connect",
    fanoutMs: "fanout",
    ingestPerSec: "ingest",
    reconnectMs: "reconnect",
    cliHostsMs: "cliHosts",
  };
  const cell = (v: unknown) => (v === undefined ? "-" : Array.isArray(v) ? v.join("/") : String(v));
  console.log(
    `\nreplicas benchmark: ${AGENTS} simulated agents, ${MTLS ? "mTLS" : "plaintext"}, ${WORKERS} load generator workers, ${os.cpus().length} cores`,
  );
  console.log(`  ${"".padEnd(40)} ${"A sqlite".padStart(14)} ${`B pg ×${REPLICAS}`.padStart(14)} ${"B/A".padStart(6)}`);
  for (const [key, label] of ROWS) {
    const k = ratioKey[key];
    console.log(
      `  ${label.padEnd(40)} ${cell(a?.[key]).padStart(14)} ${cell(b?.[key]).padStart(14)} ${(k && ratio ? String(ratio[k]) : "").padStart(6)}`,
    );
  }
  if (a) console.log(`  A facts: ${JSON.stringify(a.facts)}`);
  if (b) console.log(`  B facts: ${JSON.stringify(b.facts)}`);
  for (const x of [a, b]) for (const p of x?.problems ?? []) console.log(`  PROBLEM: ${p}`);
  console.log("  targets:");
  for (const [k, v] of Object.entries(result.targetsMet)) console.log(`    ${v ? "met   " : "MISSED"} ${k}`);
}

interface Output {
  agents: number;
  mtls: boolean;
  workers: number;
  replicas: number;
  driftRate: number;
  ingestSeconds: number;
  cores: number;
  memoryBytes: number;
  date: string;
  sqlite?: PhaseResults;
  postgres?: PhaseResults;
  ratios?: Record<string, number>;
  targetsMet: Record<string, boolean>;
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "vft-bench-replicas-"));
  let tls: { caPem: string; identitiesFile: string } | undefined;
  let identities: Awaited<ReturnType<typeof prepareIdentities>> = [];
  if (MTLS) {
    identities = await prepareIdentities(CACHE, AGENTS, (n) => progress("setup", `issuing identities: ${n}/${AGENTS}`));
    tls = { caPem: cachedCaPem(CACHE), identitiesFile: identitiesFile(CACHE) };
  }
  const results: { sqlite?: PhaseResults; postgres?: PhaseResults } = {};
  try {
    for (const name of ["sqlite", "postgres"] as const) {
      if (ONLY && ONLY !== name) continue;
      const base = join(dir, name);
      const policiesDir = join(base, "policies");
      mkdirSync(policiesDir, { recursive: true });
      const o = {
        dir: base,
        policiesDir,
        agents: AGENTS,
        mtls: MTLS ? { cacheDir: CACHE, identities } : undefined,
      };
      const d =
        name === "sqlite" ? new SqliteDeployment(o) : new PostgresReplicas(o, REPLICAS, `vft_bench_${process.pid}`);
      try {
        results[name] = await measure(d, join(policiesDir, `${POLICY}.yaml`), tls);
      } finally {
        await d.stop();
      }
    }
  } finally {
    if (KEEP) progress("setup", `kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  const { sqlite: a, postgres: b } = results;
  const out: Output = {
    agents: AGENTS,
    mtls: MTLS,
    workers: WORKERS,
    replicas: REPLICAS,
    driftRate: DRIFT_RATE,
    ingestSeconds: INGEST_SECONDS,
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    date: new Date().toISOString(),
    ...results,
    ...(a && b ? { ratios: ratios(a, b) } : {}),
    targetsMet: targetsMet(a, b),
  };
  if (JSON_OUT) process.stdout.write(JSON.stringify(out) + "\n");
  else printTable(out);
  return (a?.correct ?? true) && (b?.correct ?? true) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
