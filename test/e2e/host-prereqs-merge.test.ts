import { execFile, spawn } from "node:child_process";
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, CLI, Proc, tempDir, waitFor } from "../harness/processes.js";
import { testPrefix } from "../harness/virsh.js";

const run = promisify(execFile);

/**
 * Issue 21 item 8 with a real controller and a real agent: two policies' host sysctls are
 * both applied, the key both set takes the higher priority's value. Both processes run in a
 * network namespace of this test's own (loopback only), so the per-namespace net.ipv4.* keys
 * they write never touch the machine (checked before and after); killing the namespace's
 * holder process drops it.
 */
const KEYS = ["net.ipv4.tcp_syn_retries", "net.ipv4.icmp_echo_ignore_all", "net.ipv4.icmp_ratelimit"];
const proc = (k: string) => `/proc/sys/${k.replace(/\./g, "/")}`;
const machine = () => KEYS.map((k) => readFileSync(proc(k), "utf8").trim());
const dir = tempDir("vft-hostprereq-e2e-");
const prefix = testPrefix();
let holder: Proc;
const procs: Proc[] = [];
let before: string[];

const netns = () => `/proc/${holder.child.pid}/ns/net`;
function inNs(args: string[]): Proc {
  const child = spawn("nsenter", [`--net=${netns()}`, process.execPath, CLI, ...args], {
    env: { ...process.env, VIRTFLEET_LOG_LEVEL: "debug" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const p = new Proc(child);
  procs.push(p);
  return p;
}
async function nsValues(): Promise<string[]> {
  const { stdout } = await run("nsenter", [`--net=${netns()}`, "cat", ...KEYS.map(proc)]);
  return stdout.trim().split("\n");
}
const policy = (name: string, priority: number, sysctl: Record<string, string>) =>
  `apiVersion: virtfleet/v1\nkind: Policy\nmetadata: {name: ${name}}\nspec:\n  priority: ${priority}\n  rollout: {canary: 1, soak: 1s}\n  resources:\n    host:\n      sysctl: ${JSON.stringify(sysctl)}\n`;

beforeAll(async () => {
  assertBuilt();
  before = machine();
  const mine = readlinkSync("/proc/self/ns/net");
  holder = new Proc(
    spawn("unshare", ["--net", "sh", "-c", "ip link set lo up && exec sleep 3600"], { stdio: "ignore" }),
  );
  await waitFor("the test's network namespace", () => {
    try {
      return readlinkSync(netns()) !== mine ? true : undefined;
    } catch {
      return undefined;
    }
  });
}, 30_000);
afterAll(async () => {
  for (const p of procs) await p.stop("SIGKILL");
  await holder?.stop("SIGKILL");
  dir.cleanup();
});

describe("host prerequisites of two policies, converged by a real agent", () => {
  it("both policies' sysctls are applied; the higher priority wins the key both set", async () => {
    const policies = join(dir.path, "policies");
    mkdirSync(policies, { recursive: true });
    writeFileSync(
      join(policies, "a.yaml"),
      policy("hp-a", 0, { "net.ipv4.tcp_syn_retries": "5", "net.ipv4.icmp_ratelimit": "500" }),
    );
    writeFileSync(
      join(policies, "b.yaml"),
      policy("hp-b", 10, { "net.ipv4.icmp_echo_ignore_all": "1", "net.ipv4.icmp_ratelimit": "700" }),
    );
    expect(await nsValues()).toEqual(["6", "0", "1000"]);
    const controller = inNs([
      "controller",
      "--listen",
      "127.0.0.1:0",
      "--data",
      join(dir.path, "controller"),
      "--policies",
      policies,
      "--insecure",
    ]);
    const address = await waitFor(
      "controller to listen",
      () => {
        if (!controller.running) throw new Error(`controller exited: ${controller.stderr}`);
        return /listening on (\S+)/.exec(controller.stdout)?.[1];
      },
      20_000,
    );
    inNs([
      "agent",
      "--controller",
      address,
      "--name",
      `${prefix}h1`,
      "--state-dir",
      join(dir.path, "agent"),
      "--insecure",
      "--max-backoff",
      "1s",
    ]);
    const values = await waitFor(
      "both policies' sysctls in the namespace",
      async () => {
        const v = await nsValues();
        return v.join(",") === "5,1,700" ? v : undefined;
      },
      90_000,
      250,
      async () => `values now: ${(await nsValues()).join(",")}\ncontroller: ${controller.stderr.slice(-2000)}`,
    );
    expect(values).toEqual(["5", "1", "700"]);
    // The conflict was settled by priority and reported.
    expect(
      controller.logs().some((l) => /conflict settled by priority: sysctl "net.ipv4.icmp_ratelimit"/.test(l.msg)),
    ).toBe(true);
    expect(machine()).toEqual(before);
  }, 150_000);
});
