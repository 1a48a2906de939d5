/**
 * Benchmark (issue 24): the dashboard's page render time at N hosts (default 10,000).
 *
 * A running controller's store is seeded directly (as test fixtures do: hosts with ~2 KB of facts, a
 * bundle of one policy with 3 resources per host, their outcomes, some open drift), then the
 * real Controller class starts on it with its dashboard (plain HTTP on loopback: --insecure, so
 * TLS does not blur the server time), a session is made through WebSessionStore, and each page
 * is requested --runs times in a row. Reported: the very first request (it waits for the fleet
 * snapshot's build: controller/web fleet-index.ts), then per page p50, p95 and max (they include
 * the background rebuilds that fall in their time: one per 10 s), and the overview requested
 * --stale times after the snapshot's lifetime (it answers from the old snapshot, then rebuilds).
 * With --chromium PATH also Chromium's first contentful paint of the overview and the hosts table.
 *
 * Run: npm run build && node dist/bench/web-dashboard.js [--hosts 10000] [--runs 100] [--cold 10]
 *      [--stale 3] [--chromium /usr/bin/chromium] [--json]
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openDatabase, silentLogger } from "../common/index.js";
import { Controller } from "../controller/index.js";
import { CONTROLLER_MIGRATIONS } from "../controller/database/index.js";
import { WebSessionStore } from "../controller/web/index.js";
import { seedDashboardFleet } from "./lib/dashboard-fleet.js";
import { median, quantile } from "./lib/stats.js";

const { values: args } = parseArgs({
  options: {
    hosts: { type: "string", default: "10000" },
    runs: { type: "string", default: "100" },
    stale: { type: "string", default: "3" },
    chromium: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const HOSTS = Number(args.hosts);
const RUNS = Number(args.runs);
const STALE = Number(args.stale);

interface Sample {
  page: string;
  serverP50Ms: number;
  serverP95Ms: number;
  serverMaxMs: number;
  clientP95Ms: number;
  bytes: number;
}

/**
 * One request: the server's time (its Server-Timing header: request in → answer written) and the
 * client's (this process shares the controller's event loop, so it also waits for whatever the
 * controller does meanwhile, e.g. a background rebuild of the fleet snapshot).
 */
async function timed(url: string, cookie: string): Promise<{ ms: number; serverMs: number; bytes: number }> {
  const t0 = performance.now();
  const r = await fetch(url, { headers: { cookie }, redirect: "manual" });
  const body = await r.arrayBuffer();
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
  const serverMs = Number(/dur=([\d.]+)/.exec(r.headers.get("server-timing") ?? "")?.[1] ?? Number.NaN);
  return { ms, serverMs, bytes: body.byteLength };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "vfb-web-"));
  const dataDir = join(root, "controller");
  mkdirSync(join(root, "policies"), { recursive: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const controller = new Controller({
    listen: { host: "127.0.0.1", port: 0 },
    dataDir,
    policiesDir: join(root, "policies"),
    insecure: true,
    web: { listen: { host: "127.0.0.1", port: 0 } },
    rollouts: { planTimeoutMs: 0 },
    log: silentLogger(),
  });
  await controller.start();
  // Seeded once the controller runs: at start it recomputes the bundles of the hosts it knows.
  const seedStart = performance.now();
  seedDashboardFleet(dataDir, HOSTS);
  const seedMs = performance.now() - seedStart;
  const base = controller.webUrl!;
  const side = openDatabase(join(dataDir, "controller.db"), CONTROLLER_MIGRATIONS);
  const { token } = await new WebSessionStore(side).createSignIn("bench", "viewer");
  side.close();
  const signIn = await fetch(`${base}/signin?token=${token}`, { redirect: "manual" });
  const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
  await sleep(3_000); // let the start-up work settle
  const pages = [
    "/",
    "/hosts",
    `/hosts?page=${Math.max(1, Math.floor(HOSTS / 100))}`,
    "/hosts?sort=lastSeen&dir=desc",
    "/hosts?sort=compliance&dir=desc&size=200",
    "/hosts?q=kvm0012",
    "/hosts?state=drifted",
    "/hosts?label=rack%3Dr7",
    "/hosts?fact=cpu.cores%3D64",
    `/hosts/kvm${String(Math.floor(HOSTS / 2)).padStart(5, "0")}.lab`,
  ];
  const build = await timed(`${base}/`, cookie);
  const out: Sample[] = [];
  for (const page of pages) {
    const first = await timed(base + page, cookie);
    const server: number[] = [];
    const client: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = await timed(base + page, cookie);
      server.push(t.serverMs);
      client.push(t.ms);
    }
    out.push({
      page,
      serverP50Ms: median(server),
      serverP95Ms: quantile(server, 0.95),
      serverMaxMs: Math.max(...server),
      clientP95Ms: quantile(client, 0.95),
      bytes: first.bytes,
    });
  }
  const stale: number[] = [];
  for (let i = 0; i < STALE; i++) {
    await sleep(10_100);
    stale.push((await timed(`${base}/`, cookie)).serverMs);
  }
  let paint: Record<string, number> | undefined;
  if (args.chromium) paint = await firstPaint(args.chromium, base, cookie.split("=")[1]!, ["/", "/hosts"]);
  await controller.stop();
  rmSync(root, { recursive: true, force: true });
  const result = {
    hosts: HOSTS,
    runs: RUNS,
    seedMs: Math.round(seedMs),
    firstBuildMs: build.serverMs,
    staleOverviewMs: stale,
    pages: out,
    firstContentfulPaintMs: paint,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const f = (n: number | undefined) => (n === undefined ? "" : n.toFixed(1));
  process.stdout.write(`dashboard at ${HOSTS} hosts, ${RUNS} requests per page (ms; loopback HTTP)\n`);
  process.stdout.write(`first request (waits for the snapshot's build): server ${f(build.serverMs)} ms\n`);
  process.stdout.write(`overview on a stale snapshot (server): ${stale.map(f).join(", ")} ms\n`);
  process.stdout.write(
    "| page | server p50 | server p95 | server max | client p95 | KiB |\n|---|---|---|---|---|---|\n",
  );
  for (const s of out)
    process.stdout.write(
      `| \`${s.page}\` | ${f(s.serverP50Ms)} | ${f(s.serverP95Ms)} | ${f(s.serverMaxMs)} | ${f(s.clientP95Ms)} | ${(s.bytes / 1024).toFixed(0)} |\n`,
    );
  if (paint)
    for (const [p, ms] of Object.entries(paint))
      process.stdout.write(`first contentful paint ${p}: ${ms.toFixed(0)} ms\n`);
}

/** Chromium's first contentful paint per page (median of 5 loads), the session cookie set directly. */
async function firstPaint(
  executable: string,
  base: string,
  secret: string,
  paths: string[],
): Promise<Record<string, number>> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: executable, headless: true, args: ["--no-sandbox"] });
  try {
    const context = await browser.newContext();
    await context.addCookies([{ name: "virtfleet-session", value: secret, url: base }]);
    const out: Record<string, number> = {};
    for (const path of paths) {
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const page = await context.newPage();
        await page.goto(base + path, { waitUntil: "load" });
        const fcp = await page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              new PerformanceObserver((list) => {
                const e = list.getEntriesByName("first-contentful-paint")[0];
                if (e) resolve(e.startTime);
              }).observe({ type: "paint" as never, buffered: true });
              setTimeout(() => resolve(Number.NaN), 3_000);
            }),
        );
        samples.push(fcp);
        await page.close();
      }
      out[path] = median(samples);
    }
    return out;
  } finally {
    await browser.close();
  }
}

await main();
