/**
 * Issue 22 item 3, network modes this kernel cannot run (no macvtap module, no SR-IOV NIC, no
 * Open vSwitch): the XML virtfleet builds for them is defined in the real libvirtd (not
 * started: `state: inactive`), which validates it (libvirt's networkValidate runs at
 * net-define), read back, and must diff in sync. Starting is attempted only where a run-time
 * probe finds the kernel module; otherwise the test is skipped naming it. The plan-stage
 * checks run against the real host: a missing host NIC and a network that would take the
 * bridge or subnet of one the host already has fail before anything is defined.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { silentLogger } from "../../../common/index.js";
import {
  buildNetworkXml,
  MissingHostNicError,
  NetworkClashError,
  NetworkResource,
  type NetworkSpec,
} from "../../../kinds/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { freeSubnet24 } from "../../harness/subnet.js";
import { HOST_DOMAIN_TYPE, virsh, virshResult } from "../../harness/virsh.js";

const run = promisify(execFile);
const id = randomBytes(2).toString("hex");
const prefix = `vft-nw-${id}`;
let hv: Hypervisor;

const resource = (s: NetworkSpec) =>
  new NetworkResource(s, "p", [], { hv, log: silentLogger(), shutdownTimeoutMs: 5_000 });
const signal = () => new AbortController().signal;

function spec(name: string, over: Partial<NetworkSpec>): NetworkSpec {
  return {
    name: `${prefix}-${name}`,
    mode: "isolated",
    bridge: null,
    ipv4: null,
    mtu: null,
    domain: null,
    nat: null,
    ipv6: null,
    dns: { hosts: [], forwarders: [] },
    portgroups: [],
    virtualport: null,
    interface: null,
    macvtapMode: null,
    pf: null,
    autostart: false,
    state: "inactive",
    ...over,
  };
}

/** Defines `s` through the resource, then checks the definition libvirt kept diffs in sync. */
async function defineAndReadBack(s: NetworkSpec): Promise<string> {
  const created = await resource(s).checkApply(signal(), true);
  expect(created.changes.map((c) => c.field)).toEqual(["state"]);
  expect(await hv.networkIsActive(s.name)).toBe(false);
  expect((await resource(s).checkApply(signal(), false)).changes).toEqual([]);
  return virsh("net-dumpxml", "--inactive", s.name);
}

/** Whether the kernel can make a macvtap device (probed in a throwaway namespace). */
async function macvtapWorks(): Promise<boolean> {
  const ns = `${prefix}-probe`;
  try {
    await run("ip", ["netns", "add", ns]);
    await run("ip", ["-n", ns, "link", "add", "vfnwpa", "type", "veth", "peer", "name", "vfnwpb"]);
    await run("ip", ["-n", ns, "link", "add", "link", "vfnwpa", "name", "vfnwmv", "type", "macvtap"]);
    return true;
  } catch {
    return false;
  } finally {
    await run("ip", ["netns", "del", ns]).catch(() => undefined);
  }
}

const PG = {
  name: "vlan20",
  vlan: 20,
  default: false,
  inbound: { average: 10000, peak: 20000, burst: 512 },
  outbound: { average: 10000, peak: null, burst: null },
};

let hasMacvtap = false;
const hasOvs = existsSync("/sys/module/openvswitch");

beforeAll(async () => {
  hv = await Hypervisor.open();
  hasMacvtap = await macvtapWorks();
}, 30_000);

afterAll(async () => {
  const { stdout } = await run("virsh", ["-q", "-c", "qemu:///system", "net-list", "--all", "--name"]);
  for (const n of stdout.split("\n").map((l) => l.trim()))
    if (n.startsWith(prefix)) {
      await virshResult("net-destroy", n);
      await virshResult("net-undefine", n);
    }
  await hv?.close();
});

describe("modes defined in the real libvirtd and read back in sync (not started)", () => {
  test.each(["bridge", "vepa", "private", "passthrough"] as const)("macvtap, macvtapMode %s", async (mode) => {
    const s = spec(`mv-${mode}`, {
      mode: "macvtap",
      interface: "eth0",
      macvtapMode: mode,
      portgroups:
        mode === "passthrough"
          ? [{ ...PG, inbound: null, outbound: null }]
          : [{ ...PG, vlan: null, inbound: null, outbound: null }],
    });
    const xml = await defineAndReadBack(s);
    expect(xml).toContain(`<forward `);
    expect(xml).toMatch(new RegExp(`mode='${mode}'`));
    expect(xml).toContain("<interface dev='eth0'/>");
  });

  test("hostdev: an SR-IOV VF pool with a VLAN port group", async () => {
    const s = spec("hd", { mode: "hostdev", pf: "enp3s0f0", portgroups: [{ ...PG, inbound: null, outbound: null }] });
    const xml = await defineAndReadBack(s);
    expect(xml).toContain("<pf dev='enp3s0f0'/>");
    expect(xml).toContain("<tag id='20'/>");
  });

  test("bridge on an Open vSwitch bridge: virtualport openvswitch, port groups with VLAN tags and bandwidth", async () => {
    const s = spec("ovs", {
      mode: "bridge",
      bridge: `vfnw${id}o`,
      virtualport: "openvswitch",
      portgroups: [PG, { name: "vlan30", vlan: 30, default: true, inbound: null, outbound: null }],
    });
    const xml = await defineAndReadBack(s);
    expect(xml).toContain("<virtualport type='openvswitch'/>");
    expect(xml).toContain("<inbound average='10000' peak='20000' burst='512'/>");
    expect(xml).toContain("<portgroup name='vlan30' default='yes'>");
  });

  test("a port group whose VLAN libvirt refuses is refused by libvirt too (the rule the policy check mirrors)", async () => {
    const s = spec("novlan", { mode: "bridge", bridge: `vfnw${id}v`, portgroups: [PG] });
    await expect(resource(s).checkApply(signal(), true)).rejects.toThrow(/vlan/i);
    expect((await virshResult("net-info", s.name)).code).not.toBe(0);
  });

  test("a change to a defined (inactive) macvtap network is live, and repaired", async () => {
    const s = spec("mv-bridge", {
      mode: "macvtap",
      interface: "eth0",
      macvtapMode: "bridge",
      portgroups: [{ ...PG, vlan: null, inbound: null, outbound: null }],
    });
    const moved = { ...s, interface: "eth1", macvtapMode: "vepa" as const };
    const dry = await resource(moved).checkApply(signal(), false);
    expect(dry.changes.map((c) => [c.field, c.from, c.to, c.disruption])).toEqual([
      ["interface", "eth0", "eth1", "live"],
      ["macvtapMode", "bridge", "vepa", "live"],
    ]);
    await resource(moved).checkApply(signal(), true);
    expect((await resource(moved).checkApply(signal(), false)).changes).toEqual([]);
  });

  test("a macvtap network on a host NIC starts and gives a guest a macvtap port (needs the macvtap kernel module)", async (ctx) => {
    if (!hasMacvtap) ctx.skip("skipped: this kernel has no macvtap module (ip link add … type macvtap fails)");
    const dev = `vfnw${id}l`;
    await run("ip", ["link", "add", dev, "type", "veth", "peer", "name", `vfnw${id}k`]);
    try {
      const s = spec("mv-start", { mode: "macvtap", interface: dev, macvtapMode: "bridge", state: "active" });
      await resource(s).checkApply(signal(), true);
      expect(await hv.networkIsActive(s.name)).toBe(true);
      // A guest on it gets a macvtap port on the NIC (the network alone creates no device).
      const xml = `<domain type='${HOST_DOMAIN_TYPE}'><name>${prefix}-g</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
        <os><type arch='x86_64'>hvm</type></os>
        <devices><console type='pty'/><interface type='network'><source network='${s.name}'/></interface></devices></domain>`;
      await run("sh", ["-c", 'printf "%s" "$1" | virsh -q -c qemu:///system create /dev/stdin', "sh", xml]);
      const tap = /<target dev='([^']+)'/.exec(await virsh("dumpxml", `${prefix}-g`))?.[1];
      expect(tap).toBeDefined();
      const { stdout } = await run("ip", ["-d", "link", "show", "dev", tap!]);
      expect(stdout).toContain(`@${dev}:`);
      expect(stdout).toMatch(/macvtap mode bridge/);
    } finally {
      await virshResult("destroy", `${prefix}-g`);
      await run("ip", ["link", "del", dev]).catch(() => undefined);
    }
  });

  test("starting an Open vSwitch bridge network (needs the openvswitch kernel module)", async (ctx) => {
    if (!hasOvs) ctx.skip("skipped: this kernel has no openvswitch module (/sys/module/openvswitch)");
    const s = spec("ovs", { mode: "bridge", bridge: `vfnw${id}o`, virtualport: "openvswitch", state: "active" });
    await resource(s).checkApply(signal(), true);
    expect(await hv.networkIsActive(s.name)).toBe(true);
  });
});

describe("plan-stage checks against the host", () => {
  test("a macvtap interface or hostdev pf the host does not have: an error naming it, nothing defined", async () => {
    const mv = spec("mv-missing", {
      mode: "macvtap",
      interface: `vfnw${id}zz`,
      macvtapMode: "bridge",
      state: "active",
    });
    const err = await resource(mv)
      .checkApply(signal(), false)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingHostNicError);
    expect(String((err as Error).message)).toContain(
      `uses host NIC vfnw${id}zz (interface), which does not exist on this host`,
    );
    await expect(resource(mv).checkApply(signal(), true)).rejects.toThrow(MissingHostNicError);
    const hd = spec("hd-nosriov", { mode: "hostdev", pf: "lo", state: "active" });
    await expect(resource(hd).checkApply(signal(), true)).rejects.toThrow(
      /lo \(pf\), which exists but is not an SR-IOV physical function/,
    );
    for (const s of [mv, hd]) expect((await virshResult("net-info", s.name)).code).not.toBe(0);
  });

  test("a network that takes the bridge or subnet of a network the host already has: an error naming it, nothing defined", async () => {
    const x = await freeSubnet24();
    const other = `${prefix}-hostnet`;
    const xml = buildNetworkXml(
      spec("hostnet", { bridge: `vfnw${id}e`, ipv4: { address: `192.168.${x}.1`, prefix: 24, dhcp: null } }),
    );
    await run("sh", ["-c", 'printf "%s" "$1" | virsh -q -c qemu:///system net-define /dev/stdin', "sh", xml]);
    const sameBridge = spec("b1", { bridge: `vfnw${id}e`, state: "active" });
    await expect(resource(sameBridge).checkApply(signal(), false)).rejects.toThrow(
      new RegExp(
        `network ${sameBridge.name} takes the bridge vfnw${id}e that network ${other} \\(already on this host\\)`,
      ),
    );
    const sameSubnet = spec("b2", {
      mode: "nat",
      ipv4: { address: `192.168.${x}.9`, prefix: 25, dhcp: null },
      state: "active",
    });
    const err = await resource(sameSubnet)
      .checkApply(signal(), true)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkClashError);
    expect((err as Error).message).toContain(`IPv4 subnet 192.168.${x}.0/25 (overlaps 192.168.${x}.0/24)`);
    for (const s of [sameBridge, sameSubnet]) expect((await virshResult("net-info", s.name)).code).not.toBe(0);
  });

  test("two networks of one host's bundle (from two policies) on one bridge: the second fails naming the first's policy", async () => {
    const a = spec("ba", { bridge: `vfnw${id}c`, state: "active" });
    const b = spec("bb", { bridge: `vfnw${id}c`, state: "active" });
    const rb = resource(b);
    rb.declaredNetworks = [
      { spec: a, policy: "pa" },
      { spec: b, policy: "pb" },
    ];
    await expect(rb.checkApply(signal(), true)).rejects.toThrow(
      new RegExp(`takes the bridge vfnw${id}c that network ${a.name} \\(policy pa\\) takes already`),
    );
    expect((await virshResult("net-info", b.name)).code).not.toBe(0);
  });
});
