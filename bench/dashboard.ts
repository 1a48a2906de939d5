/**
 * Benchmark (issue 24): the web dashboard at fleet scale, against a real controller process
 * (bench/loadgen/controller-process.ts) holding simulated agents (bench/loadgen: the real agent
 * protocol over real gRPC on loopback). The controller runs with --insecure, so its dashboard
 * is plain HTTP on loopback (the dashboard's HTTPS is not what is measured here).
 *
 * (i) render   --hosts N simulated agents (default 10,000) connect, report facts and their first
 *              Report and stay connected; --render-drift drift events are ingested so the
 *              timeline has rows. Then, per page, --requests sequential GETs (default 40) from
 *              one keep-alive HTTP client with a session cookie (`virtfleet web login`): time to
 *              the full response (last byte), p50/p95/max. Pages: overview, hosts page 1, hosts
 *              page 50 sorted by last seen (desc), sorted by compliance (200 a page), a name
 *              search, filtered by label, by state and by a fact (the same query repeated: kept
 *              with the fleet snapshot; and a new query each request: every host's facts read),
 *              a host page, /drift, /compliance, /rollouts, /audit. Then first paint and first
 *              contentful paint in headless Chromium (/usr/bin/chromium, the Performance API's
 *              paint entries) for the overview and the hosts page, --paint-runs loads each
 *              (median).
 * (ii) memory  --rss-agents M simulated agents (default 2,000), twice on a fresh controller:
 *              web listener off (--no-web), then on with --dashboards K (default 10) raw SSE
 *              clients streaming /drift/events (Node HTTP clients with a session cookie, as
 *              the page's EventSource does; not Chromium pages). In each run drift is ingested
 *              at --drift-rate/s for --ingest-seconds; controller RSS sampled every 250 ms
 *              (max during the ingest), after it, and after --settle-seconds.
 * Prints tables, or one JSON object with --json.
 *
 * Run: npm run build && node dist/bench/dashboard.js [--hosts 10000] [--requests 40]
 *      [--paint-runs 5] [--rss-agents 2000] [--dashboards 10] [--drift-rate 1000]
 *      [--ingest-seconds 20] [--settle-seconds 15] [--workers 2] [--only render|memory] [--json]
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { chromium } from "playwright-core";
import { stringify } from "yaml";
import { DEFAULT_WELCOME_TIMEOUT_MS } from "../agent/link/index.js";
import { intArg, stringArg } from "./lib/cli-args.js";
import { SHIPPED_CLI as CLI } from "./lib/shipped-cli.js";
import { median, quantile } from "./lib/stats.js";
import { until } from "./lib/until.js";
import { ControllerProcess, freePort } from "./loadgen/controller-process.js";
import { simulatedHost } from "./loadgen/identities.js";
import { WorkerPool } from "./loadgen/worker-pool.js";

const run = promisify(execFile);
const HOSTS = intArg("hosts", 10_000);
const REQUESTS = intArg("requests", 40);
const PAINT_RUNS = intArg("paint-runs", 5);
const RSS_AGENTS = intArg("rss-agents", 2_000);
const DASHBOARDS = intArg("dashboards", 10);
const DRIFT_RATE = intArg("drift-rate", 1_000);
const INGEST_SECONDS = intArg("ingest-seconds", 20);
const SETTLE_SECONDS = intArg("settle-seconds", 15);
const RENDER_DRIFT = intArg("render-drift", 5_000);
const WORKERS = intArg("workers", 2);
const ONLY = stringArg("only");
const JSON_OUT = process.argv.includes("--json");
const CHROMIUM = "/usr/bin/chromium";
const POLICY = "bench-dashboard";
/** Hosts labelled rack=a in the inventory (the label filter's matches). */
const LABELLED = 1_000;
const PHASE_TIMEOUT_MS = 600_000;

function progress(msg: string): void {
  if (!JSON_OUT || process.env.VIRTFLEET_BENCH_VERBOSE)
    process.stderr.write(`[dashboard ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
}

function policyYaml(): string {
  return stringify({
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: POLICY },
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
      },
    },
  });
}

function inventoryYaml(hosts: number): string {
  const labelled = Array.from({ length: Math.min(LABELLED, hosts) }, (_, i) => simulatedHost(i));
  return stringify({ groups: { "rack-a": { hosts: labelled, labels: { rack: "a" } } } });
}

interface Started {
  dir: string;
  dataDir: string;
  address: string;
  web?: string;
  controller: ControllerProcess;
  pool: WorkerPool;
}

/** A fresh controller (web on `webPort` or off) and `agents` simulated agents, connected, first Reports stored. */
async function startFleet(agents: number, webPort: number | undefined, name: string): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), `vft-bench-dash-${name}-`));
  const dataDir = join(dir, "data");
  const policiesDir = join(dir, "policies");
  mkdirSync(policiesDir);
  writeFileSync(join(policiesDir, `${POLICY}.yaml`), policyYaml());
  writeFileSync(join(policiesDir, "inventory.yaml"), inventoryYaml(agents));
  const address = `127.0.0.1:${await freePort()}`;
  const controller = new ControllerProcess(
    [
      "--listen",
      address,
      "--data",
      dataDir,
      "--policies",
      policiesDir,
      "--insecure",
      "--max-connections",
      String(agents + 1_000),
      "--max-connections-per-address",
      String(agents + 1_000),
      ...(webPort === undefined ? ["--no-web"] : ["--web-listen", `127.0.0.1:${webPort}`]),
    ],
    join(dir, "controller.log"),
  );
  await controller.start();
  progress(`${name}: controller listening (pid ${controller.pid}), web ${webPort === undefined ? "off" : "on"}`);
  const pool = await WorkerPool.start(WORKERS, agents, {
    target: address,
    welcomeTimeoutMs: DEFAULT_WELCOME_TIMEOUT_MS,
  });
  const t0 = Date.now();
  pool.broadcast({ type: "connect" });
  await until(
    "all agents to connect",
    () => (pool.totals().connected >= agents ? true : undefined),
    PHASE_TIMEOUT_MS,
    50,
  );
  progress(`${name}: ${agents} agents connected in ${Date.now() - t0} ms`);
  await until(
    "every agent's first Report stored",
    () =>
      countRows(dataDir, "SELECT COUNT(*) AS n FROM hosts WHERE last_report_at IS NOT NULL") >= agents
        ? true
        : undefined,
    PHASE_TIMEOUT_MS,
    500,
  );
  progress(`${name}: every first Report stored ${Date.now() - t0} ms after connecting`);
  return {
    dir,
    dataDir,
    address,
    web: webPort === undefined ? undefined : `http://127.0.0.1:${webPort}`,
    controller,
    pool,
  };
}

async function stopFleet(s: Started): Promise<void> {
  await s.pool.stop().catch(() => s.pool.kill());
  await s.controller.stop("SIGTERM").catch(() => undefined);
  rmSync(s.dir, { recursive: true, force: true });
}

function countRows(dataDir: string, sql: string): number {
  const db = new Database(join(dataDir, "controller.db"), { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Ingests `rate`/s drift for `seconds` and waits until the controller acknowledged every event. */
async function ingest(pool: WorkerPool, rate: number, seconds: number): Promise<number> {
  const pre = await pool.fresh();
  pool.broadcast({ type: "drift", perSecond: rate / pool.size, seconds });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const t = await until(
    "every drift event acknowledged",
    async () => {
      const now = await pool.fresh();
      return now.eventsAcked - pre.eventsAcked >= now.eventsSent - pre.eventsSent ? now : undefined;
    },
    PHASE_TIMEOUT_MS,
    100,
  );
  return t.eventsSent - pre.eventsSent;
}

/** A one-time sign-in link from `virtfleet web login` (role viewer), the link never printed. */
async function signInUrl(address: string): Promise<string> {
  const { stdout } = await run(process.execPath, [
    CLI,
    "web",
    "login",
    "--role",
    "viewer",
    "--controller",
    address,
    "--insecure",
  ]);
  return stdout.trim();
}

/** The session cookie (`name=value`) a sign-in link is exchanged for. */
async function sessionCookie(address: string): Promise<string> {
  const url = await signInUrl(address);
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        res.resume();
        const set = res.headers["set-cookie"]?.[0];
        if (res.statusCode !== 303 && res.statusCode !== 302) reject(new Error(`sign-in answered ${res.statusCode}`));
        else if (!set) reject(new Error("sign-in set no cookie"));
        else resolve(set.split(";")[0]!);
      })
      .on("error", reject);
  });
}

/** One GET on `agent` (keep-alive): ms to the last byte, and the status. */
function timedGet(
  agent: http.Agent,
  url: string,
  cookie: string,
): Promise<{ ms: number; status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    http
      .get(url, { agent, headers: { cookie } }, (res) => {
        let bytes = 0;
        res.on("data", (c: Buffer) => {
          bytes += c.length;
        });
        res.on("end", () => resolve({ ms: performance.now() - t, status: res.statusCode ?? 0, bytes }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

interface PageTiming {
  page: string;
  path: string;
  status: number;
  kib: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

async function renderPhase(): Promise<Record<string, unknown>> {
  const webPort = await freePort();
  const s = await startFleet(HOSTS, webPort, "render");
  try {
    const events = await ingest(s.pool, Math.min(RENDER_DRIFT, 2_000), Math.max(1, Math.ceil(RENDER_DRIFT / 2_000)));
    progress(`render: ${events} drift events ingested`);
    const cookie = await sessionCookie(s.address);
    const host = simulatedHost(Math.floor(HOSTS / 2));
    const pages: [string, string][] = [
      ["overview", "/"],
      ["hosts page 1", "/hosts"],
      ["hosts page 50, by last seen", "/hosts?sort=lastSeen&dir=desc&page=50"],
      ["hosts by compliance, 200 a page", "/hosts?sort=compliance&dir=desc&size=200"],
      ["hosts name search", "/hosts?q=lg-0012"],
      ["hosts label rack=a", "/hosts?label=rack%3Da"],
      ["hosts state connected", "/hosts?state=connected"],
      // a fact filter's matches are kept with the fleet snapshot: the same query again, and a new one each request ({n})
      ["hosts fact, repeated", "/hosts?fact=cpu.cores%3D64"],
      ["hosts fact, new each request", "/hosts?fact=cpu.cores%3D{n}"],
      ["host page", `/hosts/${host}`],
      ["drift", "/drift"],
      ["compliance", "/compliance"],
      ["rollouts", "/rollouts"],
      ["audit", "/audit"],
    ];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const timings: PageTiming[] = [];
    for (const [page, path] of pages) {
      const at = (i: number) => s.web + path.replace("{n}", String(1_000 + i));
      await timedGet(agent, at(-1), cookie); // warm-up (not counted)
      const ms: number[] = [];
      let last = { status: 0, bytes: 0 };
      for (let i = 0; i < REQUESTS; i++) {
        const r = await timedGet(agent, at(i), cookie);
        if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
        ms.push(r.ms);
        last = r;
      }
      timings.push({
        page,
        path,
        status: last.status,
        kib: Math.round(last.bytes / 1024),
        p50Ms: round1(median(ms)),
        p95Ms: round1(quantile(ms, 0.95)),
        maxMs: round1(Math.max(...ms)),
      });
      progress(`render: ${page} p50 ${timings.at(-1)!.p50Ms} ms, p95 ${timings.at(-1)!.p95Ms} ms`);
    }
    agent.destroy();

    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    const paints: {
      page: string;
      responseEndMs: number;
      firstPaintMs: number;
      firstContentfulPaintMs: number;
      runs: number;
    }[] = [];
    try {
      const context = await browser.newContext();
      const signIn = await context.newPage();
      await signIn.goto(await signInUrl(s.address));
      if (new URL(signIn.url()).pathname !== "/") throw new Error(`Chromium's sign-in ended on ${signIn.url()}`);
      await signIn.close();
      for (const [page, path] of [
        ["overview", "/"],
        ["hosts page 1", "/hosts"],
      ] as const) {
        const fp: number[] = [];
        const fcp: number[] = [];
        const responseEnd: number[] = [];
        for (let i = 0; i < PAINT_RUNS; i++) {
          const p = await context.newPage();
          await p.goto(s.web + path, { waitUntil: "load" });
          // Runs in Chromium (the browser's Performance API; Node's types do not know "paint"
          // entries): waits for the paint entries, which a headless page records after its first frame.
          const entries = await p.evaluate(
            () =>
              new Promise<{ name: string; start: number }[]>((resolve) => {
                type Entry = { name: string; startTime: number };
                const g = globalThis as unknown as {
                  PerformanceObserver: new (
                    cb: (list: { getEntries(): Entry[] }) => void,
                  ) => { observe(o: { type: string; buffered: boolean }): void };
                };
                const seen: Entry[] = [];
                const done = () => resolve(seen.map((e) => ({ name: e.name, start: e.startTime })));
                new g.PerformanceObserver((list) => {
                  seen.push(...list.getEntries());
                  if (seen.some((e) => e.name === "first-contentful-paint")) done();
                }).observe({ type: "paint", buffered: true });
                setTimeout(done, 10_000);
              }),
          );
          const at = (n: string) => entries.find((e) => e.name === n)?.start;
          const a = at("first-paint");
          const b = at("first-contentful-paint");
          if (a === undefined || b === undefined)
            throw new Error(`no paint entries for ${path}: ${JSON.stringify(entries)}`);
          fp.push(a);
          fcp.push(b);
          // the document's last byte, from the navigation's start (the server's share of the paint)
          responseEnd.push(
            await p.evaluate(
              () =>
                (
                  globalThis as unknown as {
                    performance: { getEntriesByType(t: string): { responseEnd: number }[] };
                  }
                ).performance.getEntriesByType("navigation")[0]?.responseEnd ?? Number.NaN,
            ),
          );
          await p.close();
        }
        paints.push({
          page,
          responseEndMs: round1(median(responseEnd)),
          firstPaintMs: round1(median(fp)),
          firstContentfulPaintMs: round1(median(fcp)),
          runs: PAINT_RUNS,
        });
        progress(
          `render: ${page} response end ${paints.at(-1)!.responseEndMs} ms, first paint ${paints.at(-1)!.firstPaintMs} ms, FCP ${paints.at(-1)!.firstContentfulPaintMs} ms`,
        );
      }
    } finally {
      await browser.close();
    }
    return { hosts: HOSTS, requestsPerPage: REQUESTS, driftEvents: events, pages: timings, paint: paints };
  } finally {
    await stopFleet(s);
  }
}

/** A raw SSE client of /drift/events: counts `drift` events until closed. */
function sseClient(url: string, cookie: string): { events: () => number; close: () => void; opened: Promise<void> } {
  let n = 0;
  let tail = "";
  let req: http.ClientRequest | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    req = http.get(url, { headers: { cookie, accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`/drift/events answered ${res.statusCode}`));
      resolve();
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        const text = tail + c;
        const lines = text.split("\n");
        tail = lines.pop() ?? "";
        for (const l of lines) if (l === "event: drift") n += 1;
      });
      res.on("error", () => undefined);
    });
    req.on("error", () => undefined);
  });
  return { events: () => n, close: () => req?.destroy(), opened };
}

interface RssRun {
  web: "off" | "on";
  dashboards: number;
  driftEvents: number;
  sseEventsReceived: number;
  rssBeforeIngestMiB: number;
  rssMaxDuringIngestMiB: number;
  rssAfterIngestMiB: number;
  rssSettledMiB: number;
  peakRssMiB: number;
}

async function memoryRun(web: boolean): Promise<RssRun> {
  const s = await startFleet(RSS_AGENTS, web ? await freePort() : undefined, web ? "memory-web-on" : "memory-web-off");
  const clients: ReturnType<typeof sseClient>[] = [];
  try {
    if (web) {
      for (let i = 0; i < DASHBOARDS; i++) {
        const c = sseClient(`${s.web}/drift/events`, await sessionCookie(s.address));
        clients.push(c);
        await c.opened;
      }
      progress(`memory: ${DASHBOARDS} SSE clients streaming /drift/events`);
    }
    await new Promise((r) => setTimeout(r, 2_000));
    const before = s.controller.memory().rss;
    let max = before;
    const sampler = setInterval(() => {
      max = Math.max(max, s.controller.memory().rss);
    }, 250);
    const events = await ingest(s.pool, DRIFT_RATE, INGEST_SECONDS);
    clearInterval(sampler);
    const after = s.controller.memory().rss;
    max = Math.max(max, after);
    await new Promise((r) => setTimeout(r, SETTLE_SECONDS * 1000));
    const settled = s.controller.memory();
    const received = clients.reduce((n, c) => n + c.events(), 0);
    progress(
      `memory: web ${web ? "on" : "off"}: ${events} drift events, RSS ${mib(before)} → max ${mib(max)}, settled ${mib(settled.rss)} MiB; SSE rows received ${received}`,
    );
    return {
      web: web ? "on" : "off",
      dashboards: web ? DASHBOARDS : 0,
      driftEvents: events,
      sseEventsReceived: received,
      rssBeforeIngestMiB: mib(before),
      rssMaxDuringIngestMiB: mib(max),
      rssAfterIngestMiB: mib(after),
      rssSettledMiB: mib(settled.rss),
      peakRssMiB: mib(settled.peak),
    };
  } finally {
    for (const c of clients) c.close();
    await stopFleet(s);
  }
}

const mib = (b: number) => Math.round(b / 2 ** 20);
const round1 = (x: number) => Math.round(x * 10) / 10;

function table(rows: Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]!);
  const width = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]!)).join("  ");
  console.log(line(keys));
  for (const r of rows) console.log(line(keys.map((k) => String(r[k]))));
}

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const render = ONLY === undefined || ONLY === "render" ? await renderPhase() : undefined;
  const memory = ONLY === undefined || ONLY === "memory" ? [await memoryRun(false), await memoryRun(true)] : undefined;
  const result = {
    started,
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30) },
    loadavg: os.loadavg().map(round1),
    web: "plain HTTP on loopback (controller --insecure)",
    render,
    memory: memory
      ? {
          agents: RSS_AGENTS,
          driftRate: DRIFT_RATE,
          ingestSeconds: INGEST_SECONDS,
          sse: "raw SSE clients",
          runs: memory,
        }
      : undefined,
  };
  if (JSON_OUT) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  console.log(
    `\ndashboard benchmark, ${result.machine.cores} cores (${result.machine.cpu}), load average ${result.loadavg.join(" ")}; web: ${result.web}`,
  );
  if (render) {
    console.log(
      `\n(i) server time per page at ${HOSTS} hosts, ${REQUESTS} sequential requests on one keep-alive connection`,
    );
    table(render.pages as unknown as Record<string, unknown>[]);
    console.log("\nfirst paint in headless Chromium (median)");
    table(render.paint as unknown as Record<string, unknown>[]);
  }
  if (memory) {
    console.log(
      `\n(ii) controller RSS at ${RSS_AGENTS} simulated agents, drift at ${DRIFT_RATE}/s for ${INGEST_SECONDS} s (MiB; dashboards = raw SSE clients of /drift/events)`,
    );
    table(memory as unknown as Record<string, unknown>[]);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
