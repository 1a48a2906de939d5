import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge, DEFAULT_ENGINE_OPTIONS } from "../../../engine/index.js";
import { HostNetworkResource, realIp, type UplinkGuard } from "../../../kinds/host/network/index.js";
import type { HostNetworkRuntime } from "../../../kinds/host/network/runtime.js";
import type { HostNetworkSpec } from "../../../kinds/host/network/spec.js";
import { ip, linkOf, TestNamespaces } from "./netns.js";

// The uplink rules for real: namespace A (the agent's host) reaches a "controller" — a TCP
// server in namespace C — over the veth UP0. The confirm probe is a real TCP connection made
// from inside A (a node process started with `ip netns exec A`), as the agent's own check
// does; the change either keeps that path working (committed) or breaks it (restored).

const exec = promisify(execFile);
const nss = new TestNamespaces("up");
let A = "";
let C = "";
let dir = "";
const UP0 = "vft-hn-up0";
const BR = "vft-hn-upbr";
const CONTROLLER = "10.77.0.2";
const PORT = 17443;

/** One TCP connection to the controller from inside A; true when it connects within 700 ms. */
async function reachable(): Promise<boolean> {
  const script = `const s=require("net").connect(${PORT},"${CONTROLLER}",()=>process.exit(0));s.on("error",()=>process.exit(1));setTimeout(()=>process.exit(1),700);`;
  try {
    await exec("ip", ["netns", "exec", A, process.execPath, "-e", script]);
    return true;
  } catch {
    return false;
  }
}

const probes: boolean[] = [];
const guard = (timeoutMs: number): UplinkGuard => ({
  address: async () => CONTROLLER,
  timeoutMs,
  confirm: async (ms, signal) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && !signal.aborted) {
      const ok = await reachable();
      probes.push(ok);
      if (ok) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  },
});

const spec = (over: Partial<HostNetworkSpec["bridges"][number]>, allowUplinkChange: boolean): HostNetworkSpec => ({
  bridges: [{ name: BR, interfaces: [UP0], stp: false, mtu: null, vlanFiltering: false, adopt: false, ...over }],
  bonds: [],
  vlans: [],
  allowUplinkChange,
});
async function run(s: HostNetworkSpec, runtime: HostNetworkRuntime) {
  const r = new HostNetworkResource(s, "vft-hn-uplink", [], () => runtime, { ip: realIp(A) });
  return (await converge([r], { ...DEFAULT_ENGINE_OPTIONS, apply: true, retries: 0 })).resources[0]!;
}

beforeAll(async () => {
  A = nss.create("a");
  C = nss.create("c");
  ip(A, "link", "add", UP0, "type", "veth", "peer", "name", "vft-hn-up1");
  ip(A, "link", "set", "vft-hn-up1", "netns", C);
  ip(A, "addr", "add", "10.77.0.1/24", "dev", UP0);
  ip(A, "link", "set", UP0, "up");
  ip(C, "addr", "add", `${CONTROLLER}/24`, "dev", "vft-hn-up1");
  ip(C, "link", "set", "vft-hn-up1", "up");
  // strict reverse-path filtering (as many hosts run it): an address left on a NIC that becomes a
  // bridge port is then unreachable — the classic way to cut a host off by bridging its uplink
  await exec("ip", ["netns", "exec", A, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"]);
  nss.spawnIn(C, [process.execPath, "-e", `require("net").createServer((s)=>s.end()).listen(${PORT},"${CONTROLLER}")`]);
  const until = Date.now() + 10_000;
  while (!(await reachable())) {
    if (Date.now() > until) throw new Error("the test controller never became reachable from namespace A");
  }
  dir = await mkdtemp(join(tmpdir(), "vft-hn-uplink-"));
});
afterAll(async () => {
  nss.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe("host networking: the uplink (the route to the controller) is protected", () => {
  it("putting the uplink NIC into a bridge is refused without allowUplinkChange, naming it; nothing changes", async () => {
    const rep = await run(spec({}, false), { persist: { style: "networkd", dir }, uplink: guard(3000) });
    expect(rep.outcome).toBe("blocked");
    expect(rep.error).toMatch(/would change vft-hn-up0, which carries this host's controller connection/);
    expect(rep.error).toMatch(/allowUplinkChange: true/);
    expect(linkOf(A, BR)).toBeNull();
    expect(linkOf(A, UP0)!.master).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it("with allowUplinkChange, a change that cuts the controller off is restored after the confirm timeout", async () => {
    probes.length = 0;
    const started = Date.now();
    const rep = await run(spec({}, true), { persist: { style: "networkd", dir }, uplink: guard(2500) });
    expect(rep.outcome).toBe("failed");
    expect(rep.error).toMatch(
      /controller was not reachable within 3 s after changing vft-hn-up0: the previous configuration was restored/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((p) => !p)).toBe(true); // it really was cut off
    expect(linkOf(A, BR)).toBeNull(); // the bridge it created is gone
    expect(linkOf(A, UP0)!.master).toBeUndefined();
    expect(await readdir(dir)).toEqual([]); // nothing persistent for an unconfirmed change
    expect(await reachable()).toBe(true);
  });

  it("with allowUplinkChange, a change that keeps the controller reachable is committed", async () => {
    // the operator's layout: the uplink is a bridge virtfleet made, carrying the host's address
    expect((await run(spec({}, false), { persist: { style: "networkd", dir } })).outcome).toBe("changed");
    ip(A, "addr", "del", "10.77.0.1/24", "dev", UP0);
    ip(A, "addr", "add", "10.77.0.1/24", "dev", BR);
    const until = Date.now() + 10_000;
    while (!(await reachable())) if (Date.now() > until) throw new Error("not reachable over the bridge");

    const blocked = await run(spec({ mtu: 1400 }, false), { persist: { style: "networkd", dir }, uplink: guard(3000) });
    expect(blocked.outcome).toBe("blocked");
    expect(blocked.error).toMatch(/would change vft-hn-upbr, which carries/);
    expect(linkOf(A, BR)!.mtu).toBe(1500);

    probes.length = 0;
    const rep = await run(spec({ mtu: 1400 }, true), { persist: { style: "networkd", dir }, uplink: guard(5000) });
    expect(rep.error).toBeUndefined();
    expect(rep.outcome).toBe("changed");
    expect(rep.notes).toContain("changes the uplink (vft-hn-upbr) under commit-confirm");
    expect(probes.at(-1)).toBe(true);
    expect(linkOf(A, BR)!.mtu).toBe(1400);
    expect(await readdir(dir)).toContain(`50-virtfleet-${BR}.netdev`);
  });

  it("releasing the uplink's member cuts the controller off: restored, the member back in the bridge; not retried", async () => {
    const runtime = { persist: { style: "networkd" as const, dir }, uplink: guard(2000) };
    const r = new HostNetworkResource(spec({ mtu: 1400, interfaces: [] }, true), "vft-hn-uplink", [], () => runtime, {
      ip: realIp(A),
    });
    const engine = { ...DEFAULT_ENGINE_OPTIONS, apply: true, retries: 0 };
    const rep = (await converge([r], engine)).resources[0]!;
    expect(rep.outcome).toBe("failed");
    expect(rep.error).toMatch(/after changing vft-hn-up0, vft-hn-upbr: the previous configuration was restored/);
    expect(linkOf(A, UP0)!.master).toBe(BR);
    expect(await reachable()).toBe(true);
    // the next run of the same bundle does not cut the host off again
    probes.length = 0;
    const again = (await converge([r], engine)).resources[0]!;
    expect(again.outcome).toBe("blocked");
    expect(again.error).toMatch(
      /this change of vft-hn-up0, vft-hn-upbr was undone at .* not tried again until the policy changes/,
    );
    expect(probes).toEqual([]);
    expect(linkOf(A, UP0)!.master).toBe(BR);
  });

  it("without a way to confirm (apply --local without --confirm-timeout), an allowed uplink change is still refused", async () => {
    const noConfirm: UplinkGuard = { address: async () => CONTROLLER };
    const rep = await run(spec({ mtu: 1300 }, true), { persist: { style: "networkd", dir }, uplink: noConfirm });
    expect(rep.outcome).toBe("blocked");
    expect(rep.error).toMatch(/no way to confirm .*--confirm-timeout/);
    expect(linkOf(A, BR)!.mtu).toBe(1400);
  });
});
