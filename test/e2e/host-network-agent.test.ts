import { execFile, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assertBuilt, CLI, Proc, tempDir, waitFor } from "../harness/processes.js";
import { ip, linkOf, TestNamespaces } from "../integration/host-network/netns.js";

// Host networking with a real controller and a real agent: the controller runs in namespace
// C (--insecure, so on C's loopback, reached from outside through a plain TCP relay on
// 10.77.0.2), the agent in namespace A, and the agent's only path to the controller is the
// veth UP0 — its uplink. Strict reverse-path filtering in A makes an
// address left on a NIC that becomes a bridge port unreachable (the classic lock-out).

const exec = promisify(execFile);
const nss = new TestNamespaces("ag");
const dir = tempDir("vft-hn-agent-");
const policies = join(dir.path, "policies");
const configDir = join(dir.path, "networkd");
const HOST = "vft-hn-h1";
const RELAY_PORT = 17445;
const UP0 = "vft-hn-up0";
const BR = "vft-hn-abr";
let A = "";
let C = "";
let controller: Proc;
let agent: Proc;
let address = "";
const procs: Proc[] = [];

function inNs(ns: string, args: string[]): Proc {
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, CLI, ...args], {
    env: { ...process.env, VIRTFLEET_LOG_LEVEL: "debug" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const p = new Proc(child);
  procs.push(p);
  return p;
}

function write(bridge: Record<string, unknown>, allowUplinkChange: boolean): void {
  writeFileSync(
    join(policies, "net.yaml"),
    stringify({
      apiVersion: "virtfleet/v1",
      kind: "Policy",
      metadata: { name: "vft-hn-net" },
      spec: {
        rollout: { canary: 1, soak: "1s", onFailure: "pause" },
        resources: { host: { bridges: [{ name: BR, interfaces: [UP0], ...bridge }], allowUplinkChange } },
      },
    }),
  );
}

interface HostView {
  connected?: boolean;
  resources: { kind: string; name: string; outcome: string; error?: string; updatedAt: string }[];
}
async function hostView(): Promise<HostView | undefined> {
  try {
    const { stdout } = await exec("ip", [
      "netns",
      "exec",
      C,
      process.execPath,
      CLI,
      "host",
      HOST,
      "--json",
      "--controller",
      address,
      "--insecure",
    ]);
    return JSON.parse(stdout) as HostView;
  } catch {
    return undefined;
  }
}
const explain = async () =>
  `host: ${JSON.stringify(await hostView())}\nagent: ${agent.stderr.slice(-3000)}\ncontroller: ${controller.stderr.slice(-1500)}`;

/** Waits for host/network's reported outcome to be one of `want` (and `error` to match). */
function outcome(want: string | string[], error?: RegExp, since = "") {
  const wanted = Array.isArray(want) ? want : [want];
  return waitFor(
    `host/network ${want}`,
    async () => {
      const r = (await hostView())?.resources.find((x) => x.kind === "host" && x.name === "network");
      if (!r || !wanted.includes(r.outcome) || r.updatedAt <= since) return undefined;
      if (error && !error.test(r.error ?? "")) return undefined;
      return r;
    },
    60_000,
    500,
    explain,
  );
}

beforeAll(async () => {
  assertBuilt();
  A = nss.create("a");
  C = nss.create("c");
  ip(A, "link", "add", UP0, "type", "veth", "peer", "name", "vft-hn-up1");
  ip(A, "link", "set", "vft-hn-up1", "netns", C);
  ip(A, "addr", "add", "10.77.0.1/24", "dev", UP0);
  ip(A, "link", "set", UP0, "up");
  ip(C, "addr", "add", "10.77.0.2/24", "dev", "vft-hn-up1");
  ip(C, "link", "set", "vft-hn-up1", "up");
  await exec("ip", ["netns", "exec", A, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"]);
  mkdirSync(policies, { recursive: true });
  write({}, false);
  controller = inNs(C, [
    "controller",
    "--listen",
    "127.0.0.1:0",
    "--data",
    join(dir.path, "controller"),
    "--policies",
    policies,
    "--insecure",
  ]);
  address = await waitFor(
    "controller to listen",
    () => {
      if (!controller.running) throw new Error(`controller exited: ${controller.stderr}`);
      return /listening on (\S+)/.exec(controller.stdout)?.[1];
    },
    20_000,
  );
  const port = Number(address.split(":").pop());
  const relay = spawn(
    "ip",
    [
      "netns",
      "exec",
      C,
      process.execPath,
      "-e",
      `const n=require("net");n.createServer((a)=>{const b=n.connect(${port},"127.0.0.1");a.pipe(b);b.pipe(a);a.on("error",()=>b.destroy());b.on("error",()=>a.destroy());}).listen(${RELAY_PORT},"10.77.0.2")`,
    ],
    { stdio: "ignore" },
  );
  procs.push(new Proc(relay));
  agent = inNs(A, [
    "agent",
    "--controller",
    `10.77.0.2:${RELAY_PORT}`,
    "--name",
    HOST,
    "--state-dir",
    join(dir.path, "agent"),
    "--insecure",
    "--max-backoff",
    "1s",
    "--host-network-config-dir",
    configDir,
    "--uplink-confirm-timeout",
    "4s",
  ]);
}, 60_000);
afterAll(async () => {
  for (const p of procs) await p.stop("SIGKILL");
  nss.cleanup();
  dir.cleanup();
});

describe("host networking with a real controller and agent: the agent's own uplink", () => {
  it("a policy bridging the agent's uplink is blocked, naming it; nothing changes", async () => {
    const r = await outcome("blocked");
    expect(r.error).toMatch(/would change vft-hn-up0, which carries this host's controller connection/);
    expect(linkOf(A, BR)).toBeNull();
  }, 90_000);

  it("allowed, the change cuts the agent off: undone after the confirm timeout, the agent reconnects and reports it", async () => {
    const before = new Date().toISOString();
    write({}, true);
    // failed, or — when the restore's own link events already triggered the next check —
    // blocked as "undone …, not tried again", quoting the same reason
    const r = await outcome(["failed", "blocked"], /the previous configuration was restored/, before);
    expect(r.error).toMatch(/not reachable within 4 s after changing vft-hn-up0/);
    expect(
      controller.logs().some((l) => /host\/network: the controller was not reachable within 4 s/.test(l.msg)),
    ).toBe(true);
    expect(linkOf(A, BR)).toBeNull();
    expect(linkOf(A, UP0)!.master).toBeUndefined();
    expect(agent.running).toBe(true);
  }, 120_000);

  it("an adopted bridge carrying the host's address: an allowed change that keeps the controller reachable is committed", async () => {
    // the operator moves the address onto a bridge of their own
    ip(A, "link", "add", BR, "type", "bridge");
    ip(A, "link", "set", UP0, "master", BR);
    ip(A, "addr", "del", "10.77.0.1/24", "dev", UP0);
    ip(A, "addr", "add", "10.77.0.1/24", "dev", BR);
    ip(A, "link", "set", BR, "up");
    const before = new Date().toISOString();
    write({ adopt: true, mtu: 1400 }, true);
    const r = await outcome("changed", undefined, before).catch(async () => outcome("ok", undefined, before));
    expect(r.error).toBeUndefined();
    expect(linkOf(A, BR)!.mtu).toBe(1400);
    expect(linkOf(A, BR)!.ifalias).toBe("virtfleet:adopted");
    expect(linkOf(A, UP0)!.master).toBe(BR);
  }, 120_000);

  it("drift on a link (the MTU changed with ip) is noticed through ip monitor and repaired within seconds", async () => {
    ip(A, "link", "set", BR, "mtu", "1500");
    const started = Date.now();
    await waitFor("the MTU repaired", () => (linkOf(A, BR)!.mtu === 1400 ? true : undefined), 20_000, 100, explain);
    const ms = Date.now() - started;
    // the agent's resync interval is the default 5 min: only the link monitor can explain this
    expect(ms).toBeLessThan(5_000);
    console.log(`host networking drift repaired ${ms} ms after ip link set mtu`);
  }, 60_000);
});
