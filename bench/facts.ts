/**
 * Times collectFacts() on this host: 10 runs after one warm-up, median and max wall time,
 * and the longest event-loop block seen during the runs (setInterval lag probe at 1 ms
 * plus perf_hooks' event-loop delay histogram). Prints a table.
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/facts.js [runs]
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { collectFacts, factsFingerprint } from "../agent/facts/index.js";

const runs = Number(process.argv[2] ?? 10);

function lagProbe(): { stop: () => number } {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(0, worst);
    },
  };
}

await collectFacts();

const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
const probe = lagProbe();
const times: number[] = [];
let facts = await collectFacts();
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  facts = await collectFacts();
  times.push(performance.now() - t0);
}
const lagMs = probe.stop();
histogram.disable();

const fpTimes: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  factsFingerprint(facts);
  fpTimes.push(performance.now() - t0);
}

const sorted = [...times].sort((a, b) => a - b);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows: [string, string][] = [
  ["runs", String(runs)],
  ["collectFacts median (ms)", median(times).toFixed(1)],
  ["collectFacts max (ms)", sorted[sorted.length - 1].toFixed(1)],
  ["max event-loop block, lag probe (ms)", lagMs.toFixed(1)],
  ["max event-loop delay, histogram (ms)", (histogram.max / 1e6).toFixed(1)],
  ["factsFingerprint median (ms)", median(fpTimes).toFixed(2)],
  [
    "interfaces / disks / filesystems",
    `${facts.network.interfaces.length} / ${facts.disks.length} / ${facts.filesystems.length}`,
  ],
  ["cpu threads / numa nodes", `${facts.cpu.threads} / ${facts.numa.nodes}`],
  ["errors", facts.errors.map((e) => e.source).join(", ") || "none"],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log(`${"metric".padEnd(w)} | value`);
console.log(`${"-".repeat(w)}-|-${"-".repeat(12)}`);
for (const [k, v] of rows) console.log(`${k.padEnd(w)} | ${v}`);
