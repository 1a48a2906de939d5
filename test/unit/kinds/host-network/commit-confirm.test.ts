import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { controllerUplinkGuard } from "../../../../agent/link/uplink-guard.js";
import { commitConfirm } from "../../../../kinds/host/network/commit-confirm.js";
import { IpCommandError, type IpCommand } from "../../../../kinds/host/network/ip.js";
import type { Step } from "../../../../kinds/host/network/planner.js";
import { uplinkClosure } from "../../../../kinds/host/network/uplink.js";
import type { Link } from "../../../../kinds/host/network/links.js";

/** Records every argv; fails the ones in `failing`. */
function recorder(failing: string[] = []): IpCommand & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async run(argv) {
      const line = argv.join(" ");
      calls.push(line);
      if (failing.includes(line)) throw new IpCommandError(argv, "RTNETLINK answers: Operation not permitted");
      return "";
    },
  };
}
const step = (a: string, undo: string[] = []): Step => ({
  argv: a.split(" "),
  touches: [],
  undo: undo.map((u) => u.split(" ")),
});
const steps = [
  step("link add br0 type bridge stp_state 0", ["link del br0"]),
  step("link set eth0 master br0", ["link set eth0 nomaster"]),
  step("link set br0 up"),
];
const signal = new AbortController().signal;

describe("commitConfirm", () => {
  it("confirmed: applies every step, undoes nothing", async () => {
    const ip = recorder();
    await commitConfirm({ ip, steps, confirm: async () => true, timeoutMs: 10, signal, touched: ["eth0"] });
    expect(ip.calls).toEqual(steps.map((s) => s.argv.join(" ")));
  });

  it("not confirmed: undoes every step, last first, and says so", async () => {
    const ip = recorder();
    await expect(
      commitConfirm({ ip, steps, confirm: async () => false, timeoutMs: 60_000, signal, touched: ["eth0"] }),
    ).rejects.toThrow(
      "the controller was not reachable within 60 s after changing eth0: the previous configuration was restored",
    );
    expect(ip.calls.slice(3)).toEqual(["link set eth0 nomaster", "link del br0"]);
  });

  it("a step fails: the steps that ran are undone, the confirmation is never asked", async () => {
    const ip = recorder(["link set eth0 master br0"]);
    let asked = false;
    await expect(
      commitConfirm({
        ip,
        steps,
        confirm: async () => {
          asked = true;
          return true;
        },
        timeoutMs: 10,
        signal,
        touched: ["eth0"],
      }),
    ).rejects.toThrow(
      /changing eth0 failed \(ip link set eth0 master br0 failed: .*\): the previous configuration was restored/,
    );
    expect(asked).toBe(false);
    expect(ip.calls).toEqual(["link add br0 type bridge stp_state 0", "link set eth0 master br0", "link del br0"]);
  });

  it("an undo that fails is reported, the others still run", async () => {
    const ip = recorder(["link set eth0 nomaster"]);
    await expect(
      commitConfirm({ ip, steps, confirm: async () => false, timeoutMs: 1000, signal, touched: ["eth0"] }),
    ).rejects.toThrow(/restoring the previous configuration failed in part: ip link set eth0 nomaster failed/);
    expect(ip.calls.at(-1)).toBe("link del br0");
  });
});

describe("uplinkClosure", () => {
  const l = (name: string, over: Partial<Link> = {}): Link => ({
    name,
    kind: "",
    master: null,
    mtu: 1500,
    up: true,
    alias: null,
    ...over,
  });
  it("the route's device and everything under it: VLAN link, bond slaves, bridge members", () => {
    const links = new Map(
      [
        l("br0.20", { kind: "vlan", vlan: { id: 20, link: "br0" } }),
        l("br0", { kind: "bridge" }),
        l("bond0", { kind: "bond", master: "br0" }),
        l("eno1", { master: "bond0" }),
        l("eno2", { master: "bond0" }),
        l("eno3"),
      ].map((x) => [x.name, x]),
    );
    expect([...uplinkClosure("br0.20", links)].sort()).toEqual(["bond0", "br0", "br0.20", "eno1", "eno2"]);
    expect([...uplinkClosure("eno3", links)]).toEqual(["eno3"]);
  });
});

describe("the agent's uplink guard", () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it("confirms only when the link is READY and a fresh TCP connection to the controller opens", async () => {
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    let ready = false;
    const g = controllerUplinkGuard(
      () => ({ host: "127.0.0.1", port }),
      () => ready,
      5_000,
    );
    expect(await g.address()).toBe("127.0.0.1");
    expect(await g.confirm!(700, signal)).toBe(false); // reachable, but the stream is not back
    ready = true;
    expect(await g.confirm!(700, signal)).toBe(true);
    server.close();
    server = undefined;
    expect(await g.confirm!(700, signal)).toBe(false); // READY, but the controller does not answer
  });
});
