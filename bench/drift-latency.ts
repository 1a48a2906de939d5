/**
 * Benchmark (issue 5, item 9): drift detection latency, from `virsh destroy` of an enforced
 * guest to the drift event being stored by the controller and delivered on the admin
 * WatchDrift stream (the controller publishes only after the durable write). A real
 * controller and a real agent run as processes; p50/p99 over N injections.
 * Baseline in the same run: a 1-second `virsh domstate` poller (what a polling tool such as
 * Salt beacons does at best), counting how many of the same drifts it sees at all.
 *
 * Run: npm run build && node dist/bench/drift-latency.js [--injections 50]
 * Needs root and a running libvirtd. Creates vft-blat-<hex>-g1 and removes it afterwards.
 */
import * as grpc from "@grpc/grpc-js";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { DriftRecord__Output } from "../generated/proto/fleet/v1/DriftRecord.js";
import { fleetProto } from "../common/index.js";
import { intArg } from "./lib/cli-args.js";
import { tinyGuestsPolicyYaml } from "./lib/tiny-guests-policy.js";
import { median, quantile } from "./lib/stats.js";
import { until } from "./lib/until.js";
import { SHIPPED_CLI as CLI } from "./lib/shipped-cli.js";

const run = promisify(execFile);
const INJECTIONS = intArg("injections", 50);
const prefix = `vft-blat-${randomBytes(3).toString("hex")}-`;
const guest = `${prefix}g1`;
const host = `${prefix}host`;

function start(args: string[]): { child: ChildProcess; stdout: () => string } {
  let out = "";
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, VIRTFLEET_LOG_LEVEL: "warn" },
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, stdout: () => out };
}

async function domstate(): Promise<string> {
  return (await run("virsh", ["domstate", guest]).catch(() => ({ stdout: "" }))).stdout.trim();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "vft-blat-"));
  const policies = join(dir, "policies");
  mkdirSync(policies);
  writeFileSync(join(policies, "bench.yaml"), tinyGuestsPolicyYaml([guest]));
  const controller = start([
    "controller",
    "--listen",
    "127.0.0.1:0",
    "--data",
    join(dir, "c"),
    "--policies",
    policies,
    "--insecure",
  ]);
  let agent: ReturnType<typeof start> | undefined;
  const latencies: number[] = [];
  const fromCommand: number[] = [];
  let pollerSaw = 0;
  try {
    const address = await until("the controller", () => /listening on (\S+)/.exec(controller.stdout())?.[1]);
    agent = start([
      "agent",
      "--controller",
      address,
      "--name",
      host,
      "--state-dir",
      join(dir, "a"),
      "--insecure",
      "--flap-threshold",
      "100000",
    ]);
    await until("the guest to run", async () => ((await domstate()) === "running" ? true : undefined), 60_000, 200);

    const admin = new (fleetProto().AdminService)(address, grpc.credentials.createInsecure());
    const seen: { at: number; rec: DriftRecord__Output }[] = [];
    const stream = admin.WatchDrift({ host });
    stream.on("data", (rec: DriftRecord__Output) => seen.push({ at: performance.now(), rec }));
    stream.on("error", () => undefined);
    await new Promise((r) => setTimeout(r, 500));

    // The baseline poller runs alongside: one `virsh domstate` per second.
    let polling = true;
    const poller = (async () => {
      while (polling) {
        if ((await domstate()) === "shut off") pollerSaw++;
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();

    for (let i = 0; i < INJECTIONS; i++) {
      await until(
        "the guest running again",
        async () => ((await domstate()) === "running" ? true : undefined),
        30_000,
        50,
      );
      const before = seen.length;
      const tCommand = performance.now();
      await run("virsh", ["destroy", guest]);
      // virsh returns once QEMU is gone: the guest is off (the drift exists) from here on.
      const t0 = performance.now();
      const hit = await until(
        "the drift event",
        () => seen.slice(before).find((s) => s.rec.name === guest && s.rec.remediation === "repaired"),
        10_000,
        2,
      );
      latencies.push(Math.max(0, hit.at - t0));
      fromCommand.push(hit.at - tCommand);
      await new Promise((r) => setTimeout(r, 300));
    }
    polling = false;
    await poller;
    stream.cancel();
    admin.close();
  } finally {
    agent?.child.kill("SIGTERM");
    controller.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1500));
    await run("virsh", ["destroy", guest]).catch(() => undefined);
    await run("virsh", ["undefine", guest, "--nvram"]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, node ${process.version}, date ${new Date().toISOString().slice(0, 10)}`,
  );
  console.log("| detector | injections | detected | p50 ms | p99 ms | max ms |");
  console.log("|---|---:|---:|---:|---:|---:|");
  console.log(
    `| virtfleet: guest off (virsh destroy returned) → stored → WatchDrift | ${INJECTIONS} | ${latencies.length} | ${median(latencies).toFixed(0)} | ${quantile(latencies, 0.99).toFixed(0)} | ${Math.max(...latencies).toFixed(0)} |`,
  );
  console.log(
    `| virtfleet: virsh destroy started → stored → WatchDrift | ${INJECTIONS} | ${fromCommand.length} | ${median(fromCommand).toFixed(0)} | ${quantile(fromCommand, 0.99).toFixed(0)} | ${Math.max(...fromCommand).toFixed(0)} |`,
  );
  console.log(`| 1 s virsh domstate poller (same injections) | ${INJECTIONS} | ${pollerSaw} | - | - | - |`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
