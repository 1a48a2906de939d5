/**
 * Benchmark (issue 24, "fast"): server time of the dashboard's /compliance page at 10,000
 * hosts. A controller store is filled as bench/metrics-scrape.ts fills it (3 policies of 4
 * resources per host, open drift on 2 %, a failure on 1 %) plus `--snapshots` stored
 * compliance snapshots of that fleet (default 168: the default 7-day range, hourly). The
 * page's route handler is called as the web server calls it; printed: its first call (the
 * tally's first full pass), p50/p95 over `--requests` calls with nothing changed and with
 * `--touched` hosts' events between calls, the trend query alone, and for comparison what
 * the page computed before (ComplianceService.current: the whole fleet's document).
 *
 * Run: npm run build && node dist/bench/compliance-page.js [--hosts 10000] [--requests 40] [--touched 100] [--snapshots 168]
 * Writes only into a fresh temporary folder, removed afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../common/index.js";
import { ComplianceService, SnapshotStore } from "../controller/compliance/index.js";
import { ControllerStore } from "../controller/database/index.js";
import type { WebDeps, WebRequest } from "../controller/web/index.js";
import { LIVE_ROUTES } from "../controller/web/live/index.js";
import { intArg } from "./lib/cli-args.js";
import { fillComplianceFleet } from "./lib/compliance-fleet.js";
import { median, quantile } from "./lib/stats.js";

const HOSTS = intArg("hosts", 10_000);
const REQUESTS = intArg("requests", 40);
const TOUCHED = intArg("touched", 100);
const SNAPSHOTS = intArg("snapshots", 168);
const HOUR = 3_600_000;

const log = createLogger("bench-compliance-page", "silent");
const host = (i: number) => `bc-${String(i).padStart(5, "0")}`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "vf-bench-compliance-page-"));
  const store = ControllerStore.open(dir);
  try {
    const t0 = performance.now();
    await fillComplianceFleet(store, HOSTS, host);
    const compliance = new ComplianceService(store.db, log);
    const doc = JSON.stringify(await compliance.current());
    const snapshots = new SnapshotStore(store.db);
    const now = Date.now();
    for (let i = SNAPSHOTS; i >= 1; i--) await snapshots.save(now - i * HOUR + 1, doc);
    const filled = performance.now() - t0;
    const page = LIVE_ROUTES.find((r) => r.method === "GET" && r.path === "/compliance");
    if (!page) throw new Error("no /compliance route");
    // What the page reads: compliance, hosts (count) and the policies in force; nothing else.
    const deps = {
      compliance,
      hosts: store.hosts,
      policies: { current: () => ({ policies: ["web", "db", "base"].map((name) => ({ name })) }) },
    } as unknown as WebDeps;
    const request: WebRequest = {
      method: "GET",
      url: new URL("http://127.0.0.1/compliance"),
      params: {},
      form: new URLSearchParams(),
      session: { user: "bench", role: "viewer", csrf: "x" },
      signal: new AbortController().signal,
    };
    const timed = async (fn: () => Promise<unknown>): Promise<number> => {
      const s = performance.now();
      await fn();
      return performance.now() - s;
    };
    const rows: string[] = [];
    const series = (what: string, xs: number[]) =>
      rows.push(
        `| ${what} | ${median(xs).toFixed(1)} ms | ${quantile(xs, 0.95).toFixed(1)} ms | ${Math.max(...xs).toFixed(1)} ms | ${xs.length} |`,
      );
    series("first request (the tally's first full pass)", [await timed(() => page.handle(request, deps))]);
    const idle: number[] = [];
    for (let i = 0; i < REQUESTS; i++) idle.push(await timed(() => page.handle(request, deps)));
    series("request, nothing changed", idle);
    const busy: number[] = [];
    let k = 0;
    for (let i = 0; i < REQUESTS; i++) {
      for (let j = 0; j < TOUCHED; j++) compliance.tally.touch(host((k++ * 7919) % HOSTS));
      busy.push(await timed(() => page.handle(request, deps)));
    }
    series(`request after ${TOUCHED} hosts' events`, busy);
    const trend: number[] = [];
    for (let i = 0; i < Math.min(REQUESTS, 10); i++)
      trend.push(await timed(() => compliance.trend(now - 7 * 24 * HOUR, now)));
    series(`trend query alone (7 days, ${Math.min(SNAPSHOTS, 168)} snapshots)`, trend);
    const before: number[] = [];
    for (let i = 0; i < Math.min(REQUESTS, 10); i++) before.push(await timed(() => compliance.current()));
    series("before: ComplianceService.current (what each request computed)", before);
    console.log(
      `/compliance page at ${HOSTS} hosts, ${SNAPSHOTS} snapshots of ${(doc.length / 1e6).toFixed(1)} MB (store filled in ${(filled / 1000).toFixed(1)} s)`,
    );
    console.log("| what | p50 | p95 | max | n |");
    console.log("|---|---|---|---|---|");
    for (const r of rows) console.log(r);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
