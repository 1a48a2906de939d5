/**
 * Runs the fleet benchmark (bench/fleet.ts) several times per fleet size, plaintext and mTLS,
 * one run at a time, and prints one markdown table per size: median and min–max of each
 * figure, beside the issue's targets.
 *
 * Run: npm run build && node dist/bench/fleet-matrix.js [--sizes 1000,5000,10000] [--runs 3] [--modes plain,mtls]
 *      [--crash] (npm run -s bench:fleet-matrix -- …; --crash is passed to every run)
 */
import { execFile } from "node:child_process";
import os from "node:os";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { intArg } from "./lib/cli-args.js";
import { median } from "./lib/stats.js";

const run = promisify(execFile);
const FLEET = fileURLToPath(new URL("./fleet.js", import.meta.url));
const RUNS = intArg("runs", 3);
const SIZES = listArg("sizes", ["1000", "5000", "10000"]).map(Number);
const MODES = listArg("modes", ["plain", "mtls"]);

function listArg(name: string, def: string[]): string[] {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : (process.argv[i + 1] ?? "").split(",").filter((x) => x !== "");
}

type Result = Record<string, number | boolean | object>;

const ROWS: { key: string; label: string; unit: (v: number) => string; target?: string }[] = [
  { key: "connected", label: "agents connected", unit: String },
  { key: "connectMs", label: "connect from cold, all agents", unit: sec },
  {
    key: "reconnectMs",
    label: `reconnect storm after a ${process.argv.includes("--crash") ? "crash" : "restart"}`,
    unit: sec,
    target: "≤ 60 s at 10,000",
  },
  { key: "restartFailedAttempts", label: "failed attempts after the restart", unit: String, target: "0" },
  { key: "fanoutMs", label: "policy revision → every agent has the bundle", unit: sec, target: "≤ 10 s at 10,000" },
  { key: "rolloutMs", label: "policy revision → its rollout succeeded (plan + one batch)", unit: sec },
  {
    key: "ingestPerSec",
    label: "drift events stored and acked per second",
    unit: (v) => Math.round(v).toLocaleString("en-US"),
    target: "≥ 5,000/s",
  },
  {
    key: "controllerRssBytes",
    label: "controller RSS, all connected, right after the ingest",
    unit: mib,
    target: "< 1 GB at 10,000",
  },
  {
    key: "controllerSettledRssBytes",
    label: "controller RSS, all connected, settled (heartbeats only)",
    unit: mib,
    target: "< 1 GB at 10,000",
  },
  { key: "controllerSettledHeapBytes", label: "… of which V8 heap", unit: mib },
  { key: "controllerSettledNativeBytes", label: "… of which native (TLS, HTTP/2, SQLite)", unit: mib },
  { key: "rssPerAgentBytes", label: "controller RSS per agent", unit: (v) => `${(v / 1024).toFixed(0)} KiB` },
  { key: "cliHostsMs", label: "`virtfleet hosts --json`", unit: sec },
  { key: "cliComplianceMs", label: "`virtfleet compliance --json`", unit: sec, target: "< 2 s at 10,000" },
  { key: "controllerCpuSeconds", label: "controller CPU, whole run", unit: (v) => `${v.toFixed(1)} s` },
];

function sec(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
}
function mib(b: number): string {
  return `${(b / 2 ** 20).toFixed(0)} MiB`;
}

async function main(): Promise<void> {
  console.log(
    `fleet matrix: sizes ${SIZES.join(", ")}; ${MODES.join(" + ")}; ${RUNS} runs each; ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}; ${new Date().toISOString()}\n`,
  );
  for (const size of SIZES) {
    const results = new Map<string, Result[]>();
    for (let i = 0; i < RUNS; i++) {
      for (const mode of MODES) {
        const args = [
          FLEET,
          "--agents",
          String(size),
          "--json",
          ...(mode === "mtls" ? ["--mtls"] : []),
          ...(process.argv.includes("--crash") ? ["--crash"] : []),
        ];
        try {
          const { stdout } = await run(process.execPath, args, { maxBuffer: 16 * 2 ** 20, timeout: 30 * 60_000 });
          const r = JSON.parse(stdout.trim().split("\n").at(-1)!) as Result;
          results.set(mode, [...(results.get(mode) ?? []), r]);
          process.stderr.write(`${size} ${mode} run ${i + 1}: ${JSON.stringify(r)}\n`);
        } catch (err) {
          process.stderr.write(
            `${size} ${mode} run ${i + 1} failed: ${(err as Error).message.split("\n").slice(0, 3).join(" ")}\n`,
          );
        }
      }
    }
    console.log(`### ${size.toLocaleString("en-US")} agents\n`);
    console.log(`| | ${MODES.map((m) => (m === "mtls" ? "mTLS" : "plaintext")).join(" | ")} | target |`);
    console.log(`|---|${MODES.map(() => "---").join("|")}|---|`);
    for (const row of ROWS) {
      const cells = MODES.map((m) => {
        const xs = (results.get(m) ?? []).map((r) => Number(r[row.key])).filter((v) => Number.isFinite(v));
        if (xs.length === 0) return "—";
        const lo = Math.min(...xs);
        const hi = Math.max(...xs);
        return xs.length === 1 || lo === hi
          ? row.unit(median(xs))
          : `${row.unit(median(xs))} (${row.unit(lo)}–${row.unit(hi)})`;
      });
      console.log(`| ${row.label} | ${cells.join(" | ")} | ${row.target ?? ""} |`);
    }
    console.log(`\n(${MODES.map((m) => `${m}: ${(results.get(m) ?? []).length} runs`).join(", ")})\n`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
