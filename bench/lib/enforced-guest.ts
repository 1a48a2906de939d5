import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { fleetProto } from "../../common/index.js";
import type { DriftRecord__Output } from "../../generated/proto/fleet/v1/DriftRecord.js";
import { SHIPPED_CLI as CLI } from "./shipped-cli.js";
import { until } from "./until.js";

const run = promisify(execFile);

/** `virsh -q -c qemu:///system ARGS…`'s stdout. */
export async function virsh(...args: string[]): Promise<string> {
  return (await run("virsh", ["-q", "-c", "qemu:///system", ...args])).stdout;
}

/** A drift record and when (performance.now()) the WatchDrift stream delivered it. */
export interface SeenDrift {
  at: number;
  rec: DriftRecord__Output;
}

export interface EnforcedGuestBench {
  /** Every drift record of the host delivered so far, in order. */
  seen: SeenDrift[];
}

/**
 * The drift benchmarks' harness: a real controller (insecure, loopback, a temporary data dir)
 * enforcing `policyYaml` and a real agent (flap guard off, plus `agentArgs`) as processes of
 * the shipped CLI; waits until `ready()` (e.g. the guest runs), opens a WatchDrift stream on
 * the host, runs `body`, then stops both and destroys and undefines `guest` and the folder,
 * whatever happened.
 */
export async function withEnforcedGuest(
  opts: { prefix: string; host: string; guest: string; policyYaml: string; agentArgs?: string[] },
  ready: () => Promise<boolean>,
  body: (bench: EnforcedGuestBench) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), opts.prefix));
  const policies = join(dir, "policies");
  mkdirSync(policies);
  writeFileSync(join(policies, "bench.yaml"), opts.policyYaml);
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
  try {
    const address = await until("the controller", () => /listening on (\S+)/.exec(controller.stdout())?.[1]);
    agent = start([
      "agent",
      "--controller",
      address,
      "--name",
      opts.host,
      "--state-dir",
      join(dir, "a"),
      "--insecure",
      "--flap-threshold",
      "100000",
      ...(opts.agentArgs ?? []),
    ]);
    await until("the guest as the policy wants it", async () => ((await ready()) ? true : undefined), 60_000, 200);
    const admin = new (fleetProto().AdminService)(address, grpc.credentials.createInsecure());
    const seen: SeenDrift[] = [];
    const stream = admin.WatchDrift({ host: opts.host });
    stream.on("data", (rec: DriftRecord__Output) => seen.push({ at: performance.now(), rec }));
    stream.on("error", () => undefined);
    await new Promise((r) => setTimeout(r, 500));
    try {
      await body({ seen });
    } finally {
      stream.cancel();
      admin.close();
    }
  } finally {
    agent?.child.kill("SIGTERM");
    controller.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1500));
    await virsh("destroy", opts.guest).catch(() => undefined);
    await virsh("undefine", opts.guest, "--nvram").catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

function start(args: string[]): { child: ChildProcess; stdout: () => string } {
  let out = "";
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, VIRTFLEET_LOG_LEVEL: "warn" },
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, stdout: () => out };
}
