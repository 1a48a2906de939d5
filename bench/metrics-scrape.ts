/**
 * Benchmark (issue 24, item 5): what a /metrics scrape costs the controller at 10,000 hosts.
 * A controller store is filled through its tables' owners (hosts, their bundles: 3 policies of
 * 4 resources each, one report per host, open drift on 2 % of them, a failure on 1 %), an
 * active rollout over every host, 10,000 connected sessions in memory, and a webhook queue;
 * ControllerMetrics reads them through the same services the controller wires
 * (controller/metrics/wire.ts). Printed per scrape: wall time and the longest event-loop block
 * — the first scrape (a full compliance pass), scrapes with nothing changed, scrapes after
 * 100 / 1,000 / every host's events (their compliance read again), --metrics-per-host — and,
 * for comparison, the fleet's compliance document computed in one go.
 *
 * Run: npm run build && node dist/bench/metrics-scrape.js [--hosts 10000] [--scrapes 20]
 * Writes only into a fresh temporary folder, removed afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, DEFAULT_ROLLOUT } from "../common/index.js";
import { Alerts } from "../controller/alerts/index.js";
import { ComplianceService } from "../controller/compliance/index.js";
import { CONTROLLER_DB_FILE, ControllerStore } from "../controller/database/index.js";
import { ControllerMetrics } from "../controller/metrics/index.js";
import { createRollout } from "../controller/rollout/index.js";
import { intArg } from "./lib/cli-args.js";
import { fillComplianceFleet } from "./lib/compliance-fleet.js";
import { median, quantile } from "./lib/stats.js";

const HOSTS = intArg("hosts", 10_000);
const SCRAPES = intArg("scrapes", 20);
const log = createLogger("bench-metrics", "silent");
const host = (i: number) => `bm-${String(i).padStart(5, "0")}`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "vf-bench-metrics-"));
  const store = ControllerStore.open(dir);
  try {
    const t0 = performance.now();
    await fillComplianceFleet(store, HOSTS, host);
    const filled = performance.now() - t0;
    const names = Array.from({ length: HOSTS }, (_, i) => host(i));
    const sessions = names.map((h, i) => ({ host: h, libvirtUnreachable: i % 500 === 1, outboxEntries: i % 7 }));
    const rollout = createRollout({
      id: "web@2",
      policy: "web",
      fromRevision: "web-1",
      toRevision: "web-2",
      settings: DEFAULT_ROLLOUT,
      targets: names,
      now: Date.now(),
    });
    const alerts = new Alerts(store.db, ["http://127.0.0.1:9/bench"], log);
    const compliance = new ComplianceService(store.db, log);
    const metricsWith = (perHost: boolean) =>
      new ControllerMetrics(
        {
          sessions: () => sessions,
          hostCount: () => store.hosts.count(),
          hostNames: () => store.hosts.names(),
          // A fresh tally each: the first scrape of each is a full pass.
          compliance: new ComplianceService(store.db, log).tally,
          rollouts: () => [rollout],
          webhooks: () => alerts.status(),
          storeFile: join(dir, CONTROLLER_DB_FILE),
        },
        log,
        { perHost },
      );
    // The longest the event loop was held during `fn` (what 10,000 agents' streams wait for):
    // the largest gap between ticks of a 1 ms timer, the tick after `fn` included.
    const timed = async (fn: () => Promise<unknown>): Promise<{ ms: number; blockedMs: number; body?: string }> => {
      let last = performance.now();
      let blockedMs = 0;
      const ticker = setInterval(() => {
        const t = performance.now();
        blockedMs = Math.max(blockedMs, t - last);
        last = t;
      }, 1);
      const s = performance.now();
      const v = await fn();
      const ms = performance.now() - s;
      await new Promise((r) => setTimeout(r, 5));
      clearInterval(ticker);
      const body = typeof v === "object" && v !== null && "body" in v ? String(v.body) : undefined;
      return { ms, blockedMs, body };
    };
    const samples = (body = "") => body.split("\n").filter((l) => l && !l.startsWith("#")).length;
    const rows: string[] = [];
    const row = (what: string, r: { ms: number; blockedMs: number }, n: number | string = "") =>
      rows.push(`| ${what} | ${r.ms.toFixed(1)} ms | ${r.blockedMs.toFixed(1)} ms | ${n} |`);

    row(
      "compliance document alone (ComplianceService.current, for comparison)",
      await timed(() => compliance.current()),
    );
    const metrics = metricsWith(false);
    const cold = await timed(() => metrics.scrape());
    row("first scrape (full compliance pass, 100 hosts a turn)", cold, samples(cold.body));
    const warm: { ms: number; blockedMs: number }[] = [];
    for (let i = 0; i < SCRAPES; i++) warm.push(await timed(() => metrics.scrape()));
    const med = (xs: number[]) => median(xs);
    rows.push(
      `| scrape, nothing changed (median of ${SCRAPES}; p95 ${quantile(
        warm.map((w) => w.ms),
        0.95,
      ).toFixed(
        1,
      )} ms) | ${med(warm.map((w) => w.ms)).toFixed(1)} ms | ${Math.max(...warm.map((w) => w.blockedMs)).toFixed(1)} ms | ${samples(cold.body)} |`,
    );
    for (const touched of [100, 1_000, HOSTS]) {
      for (let i = 0; i < touched; i++) metrics.touchCompliance(names[(i * 7919) % HOSTS]!);
      row(`scrape after ${touched} hosts' events (their compliance read again)`, await timed(() => metrics.scrape()));
    }
    const perHost = metricsWith(true);
    const perHostCold = await timed(() => perHost.scrape());
    row("--metrics-per-host, first scrape", perHostCold, samples(perHostCold.body));
    const perHostWarm = await timed(() => perHost.scrape());
    row("--metrics-per-host, nothing changed", perHostWarm, samples(perHostWarm.body));
    console.log(`metrics scrape at ${HOSTS} hosts (store filled in ${(filled / 1000).toFixed(1)} s)`);
    console.log("| what | wall time | longest event-loop block | samples |");
    console.log("|---|---|---|---|");
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
