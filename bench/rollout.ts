/**
 * Benchmark (issue 6): how long a staged rollout of a no-op-change revision takes across N
 * agents, and what each stage adds on top of the agents' own convergence. A real controller
 * and N real agents run as processes on this machine's libvirtd; each agent holds one tiny
 * running guest named `<host>-web`. Each run writes a revision that changes only the policy's
 * `metadata.description` (so the agents re-check and change nothing) and times the write →
 * rollout `succeeded` (seen through the admin API, polled every 10 ms).
 *   staged:        canary 1, batchSize 2, soak 0s (4 hosts: plan, canary, 2 batches)
 *   all at once:   canary 0, batchSize 100%, soak 0s (plan, one batch) — the baseline
 * The two alternate within each run. Per stage, from the status document and the agents'
 * logs: stage duration (startedAt → finishedAt), the slowest agent's own convergence in it
 * ("new policy bundle" → the "enforcement run" that follows), and the difference (overhead:
 * delivery, report, the controller's bookkeeping).
 *
 * Run: npm run build && node dist/bench/rollout.js [--runs 5] [--hosts 4]
 * Needs root and a running libvirtd. Creates vft-brol-<hex>-hN-web and removes them afterwards.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { AdminClient } from "../cli/admin-client.js";
import { parseHostPort } from "../common/index.js";
import type { RolloutStatusJson } from "../controller/rollout/index.js";
import { intArg } from "./lib/cli-args.js";
import { median } from "./lib/stats.js";
import { until } from "./lib/until.js";
import { SHIPPED_CLI as CLI } from "./lib/shipped-cli.js";

const run = promisify(execFile);
const RUNS = intArg("runs", 5);
const HOSTS = intArg("hosts", 4);
const prefix = `vft-brol-${randomBytes(3).toString("hex")}-`;
const POLICY = "bench-rollout";

type Mode = "staged" | "all at once";
const ROLLOUT: Record<Mode, Record<string, unknown>> = {
  staged: { canary: 1, batchSize: 2, soak: "0s", maxFailures: 0, onFailure: "pause" },
  "all at once": { canary: 0, batchSize: "100%", soak: "0s", maxFailures: 0, onFailure: "pause" },
};

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

function start(args: string[], level: string): Started {
  let out = "";
  let err = "";
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, VIRTFLEET_LOG_LEVEL: level },
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return { child, stdout: () => out, stderr: () => err };
}

interface LogLine {
  msg: string;
  time: number;
  [k: string]: unknown;
}

function logs(p: Started): LogLine[] {
  return p
    .stderr()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return { msg: "", time: 0 };
      }
    });
}

function doc(mode: Mode, description: string): string {
  return stringify({
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: POLICY, description },
    spec: {
      rollout: ROLLOUT[mode],
      resources: {
        domains: [{ name: "${host.name}-web", vcpus: 1, memory: "64MiB", state: "running", autostart: false }],
      },
    },
  });
}

interface StageSample {
  kind: string;
  hosts: number;
  ms: number;
  /** The slowest agent's own convergence of the new bundle in this stage (null for the plan stage). */
  convergeMs: number | null;
}

interface RunSample {
  mode: Mode;
  totalMs: number;
  /** Write → the controller created the rollout (file watch + load). */
  loadMs: number;
  /** Rollout created → finished (the controller's own clock). */
  rolloutMs: number;
  stages: StageSample[];
}

/** Per host: when its agent logged the first new bundle after `since`, and when the enforcement run it triggered ended. */
function agentConverge(agent: Started, since: number): { received: number; done: number } | undefined {
  const lines = logs(agent).filter((l) => l.time >= since);
  const i = lines.findIndex((l) => l.msg === "new policy bundle");
  if (i < 0) return undefined;
  const done = lines.slice(i + 1).find((l) => l.msg === "enforcement run" && l.trigger === "bundle");
  return done ? { received: lines[i]!.time, done: done.time } : undefined;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "vft-brol-"));
  const policies = join(dir, "policies");
  mkdirSync(policies);
  const file = join(policies, "bench.yaml");
  const controller = start(
    ["controller", "--listen", "127.0.0.1:0", "--data", join(dir, "c"), "--policies", policies, "--insecure"],
    "warn",
  );
  const agents = new Map<string, Started>();
  const samples: RunSample[] = [];
  let admin: AdminClient | undefined;
  try {
    const address = await until(
      "the controller",
      () => /listening on (\S+)/.exec(controller.stdout())?.[1],
      15_000,
      50,
    );
    admin = new AdminClient(parseHostPort(address, "--controller"), true);
    const status = () => admin!.rolloutStatus(POLICY).catch(() => null);
    for (let i = 1; i <= HOSTS; i++) {
      const name = `${prefix}h${i}`;
      agents.set(
        name,
        start(
          [
            "agent",
            "--controller",
            address,
            "--name",
            name,
            "--state-dir",
            join(dir, name),
            "--insecure",
            "--max-backoff",
            "1s",
          ],
          "debug",
        ),
      );
    }
    await until(
      "the agents",
      async () => ((await admin!.listHosts()).filter((h) => h.connected).length === HOSTS ? true : undefined),
      30_000,
      100,
    );
    // The first revision rolls out too; wait until every host holds it and runs its guest.
    writeFileSync(file, doc("all at once", "initial"));
    await until(
      "the initial rollout",
      async () =>
        (await status())?.state === "succeeded" && (await status())!.hosts.length === HOSTS ? true : undefined,
      120_000,
      200,
    );
    await new Promise((r) => setTimeout(r, 2_000));

    let previous = (await status())!.revision;
    for (let r = 0; r < RUNS; r++) {
      const order: Mode[] = r % 2 === 0 ? ["staged", "all at once"] : ["all at once", "staged"];
      for (const mode of order) {
        const t0 = Date.now();
        writeFileSync(file, doc(mode, `no-op change ${r} ${mode}`));
        const s: RolloutStatusJson = await until(
          `the ${mode} rollout of run ${r}`,
          async () => {
            const x = await status();
            return x && x.revision !== previous && x.state === "succeeded" ? x : undefined;
          },
          60_000,
          10,
        );
        const totalMs = Date.now() - t0;
        if (s.state !== "succeeded") throw new Error(`run ${r} ${mode}: ${JSON.stringify(s)}`);
        previous = s.revision;
        await new Promise((res) => setTimeout(res, 300)); // the agents' last log lines
        const conv = new Map([...agents].map(([n, a]) => [n, agentConverge(a, t0)]));
        samples.push({
          mode,
          totalMs,
          loadMs: Date.parse(s.createdAt) - t0,
          rolloutMs: Date.parse(s.finishedAt!) - Date.parse(s.createdAt),
          stages: s.stages.map((st) => {
            const c = st.hosts.map((n) => conv.get(n));
            return {
              kind: st.kind,
              hosts: st.hosts.length,
              ms: Date.parse(st.finishedAt!) - Date.parse(st.startedAt!),
              convergeMs:
                st.kind === "plan" || c.some((x) => x === undefined)
                  ? null
                  : Math.max(...c.map((x) => x!.done - x!.received)),
            };
          }),
        });
        await new Promise((res) => setTimeout(res, 500));
      }
    }
  } finally {
    admin?.close();
    for (const a of agents.values()) a.child.kill("SIGTERM");
    controller.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1500));
    for (const name of agents.keys()) {
      await run("virsh", ["destroy", `${name}-web`]).catch(() => undefined);
      await run("virsh", ["undefine", `${name}-web`, "--nvram"]).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  }

  const f = (x: number) => x.toFixed(0);
  const of = (mode: Mode) => samples.filter((s) => s.mode === mode);
  const total = (mode: Mode) => median(of(mode).map((s) => s.totalMs));
  const inController = (mode: Mode) => median(of(mode).map((s) => s.rolloutMs));
  console.log(
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, node ${process.version}, date ${new Date().toISOString().slice(0, 10)}, ${HOSTS} agents`,
  );
  console.log(
    "| rollout | runs | stages | median write → succeeded ms | min | max | median write → rollout created ms | median created → finished ms | write → succeeded vs all at once | created → finished vs all at once |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const mode of ["staged", "all at once"] as Mode[]) {
    const xs = of(mode);
    console.log(
      `| ${mode} | ${xs.length} | ${xs[0]!.stages.length} | ${f(total(mode))} | ${f(Math.min(...xs.map((s) => s.totalMs)))} | ${f(Math.max(...xs.map((s) => s.totalMs)))} | ${f(median(xs.map((s) => s.loadMs)))} | ${f(inController(mode))} | ${(total(mode) / total("all at once")).toFixed(2)}× | ${(inController(mode) / inController("all at once")).toFixed(2)}× |`,
    );
  }
  console.log("");
  console.log("| rollout | stage | hosts | median stage ms | median slowest agent converge ms | median overhead ms |");
  console.log("|---|---|---:|---:|---:|---:|");
  for (const mode of ["staged", "all at once"] as Mode[]) {
    const xs = of(mode);
    for (let i = 0; i < xs[0]!.stages.length; i++) {
      const st = xs.map((s) => s.stages[i]!);
      const conv = st.filter((x) => x.convergeMs !== null);
      const convMed = conv.length ? median(conv.map((x) => x.convergeMs!)) : null;
      const over = conv.length ? median(conv.map((x) => x.ms - x.convergeMs!)) : null;
      console.log(
        `| ${mode} | ${i} ${st[0]!.kind} | ${st[0]!.hosts} | ${f(median(st.map((x) => x.ms)))} | ${convMed === null ? "–" : f(convMed)} | ${over === null ? "–" : f(over)} |`,
      );
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
