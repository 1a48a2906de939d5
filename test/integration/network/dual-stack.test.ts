/**
 * Issue 22 item 3, end to end on the real libvirtd: a dual-stack NAT network built from a
 * policy spec is started, and a client on its bridge (a network namespace with a veth end
 * enslaved to the bridge, test/harness/netns-client.ts) gets
 * - a DHCPv6 address from the range (`dhclient -6`), and the static one of its DUID;
 * - the static IPv4 lease of its MAC (`dhclient -4`);
 * and the network's dnsmasq answers the DNS host entry (a DNS query over UDP). The bridge has
 * the MTU of the policy. A DNS host and a DHCPv6 host added to the policy are applied live
 * (net-update: the bridge is not re-created) and answered/handed out at once. route, open
 * and isolated networks start for real and are in sync on a second check.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { silentLogger } from "../../../common/index.js";
import { NetworkResource, type NetworkSpec } from "../../../kinds/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { dnsQuery } from "../../harness/dns-query.js";
import { ifindex, NetnsClient } from "../../harness/netns-client.js";
import { freeSubnet24 } from "../../harness/subnet.js";
import { virsh, virshResult } from "../../harness/virsh.js";

const run = promisify(execFile);
const id = randomBytes(2).toString("hex");
const prefix = `vft-nw-${id}`;
const net = `${prefix}-ds`;
const bridge = `vfnw${id}d`;
let hv: Hypervisor;
let client: NetnsClient | undefined;
let x = 0;
let spec: NetworkSpec;
const MAC_STATIC4 = "52:54:00:4e:57:01";
const MAC_STATIC6 = "52:54:00:4e:57:02";
const MAC_DYNAMIC = "52:54:00:4e:57:03";
const MAC_LATER6 = "52:54:00:4e:57:04";
/** DUID-LL (type 3, hardware type 1 = Ethernet) of a MAC, as `dhclient -D LL` sends it. */
const duidLL = (mac: string) =>
  `0:3:0:1:${mac
    .split(":")
    .map((b) => Number.parseInt(b, 16).toString(16))
    .join(":")}`;
/** The subnet's third group as libvirt and the DHCP client print it (no leading zeros). */
const idGroup = Number.parseInt(id, 16).toString(16);
const v6 = (tail: string) => `fd7f:${x.toString(16)}:${idGroup}::${tail}`;
const v4 = (last: number) => `192.168.${x}.${last}`;

const resource = (s: NetworkSpec) =>
  new NetworkResource(s, "p", [], { hv, log: silentLogger(), shutdownTimeoutMs: 5_000 });
const signal = () => new AbortController().signal;

function base(name: string, mode: NetworkSpec["mode"], br: string): NetworkSpec {
  return {
    name,
    mode,
    bridge: br,
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
    state: "active",
  };
}

async function cleanup(): Promise<void> {
  await client?.remove();
  const { stdout } = await run("virsh", ["-q", "-c", "qemu:///system", "net-list", "--all", "--name"]);
  for (const n of stdout.split("\n").map((l) => l.trim())) {
    if (!n.startsWith(prefix)) continue;
    await virshResult("net-destroy", n);
    await virshResult("net-undefine", n);
  }
}

beforeAll(async () => {
  hv = await Hypervisor.open();
  x = await freeSubnet24();
  spec = {
    ...base(net, "nat", bridge),
    mtu: 1400,
    domain: "lab.internal",
    nat: { portStart: 2000, portEnd: 3000 },
    ipv4: {
      address: v4(1),
      prefix: 24,
      dhcp: { start: v4(100), end: v4(150), hosts: [{ mac: MAC_STATIC4, ip: v4(7), name: "static4" }] },
    },
    ipv6: {
      address: v6("1"),
      prefix: 64,
      dhcp: { start: v6("100"), end: v6("1ff"), hosts: [{ id: duidLL(MAC_STATIC6), ip: v6("42"), name: null }] },
    },
    dns: { hosts: [{ ip: v4(5), names: ["db.lab.internal"] }], forwarders: [] },
  };
  const created = await resource(spec).checkApply(signal(), true);
  expect(created.changes.map((c) => c.field)).toEqual(["state"]);
  client = await NetnsClient.create(`${prefix}-ns`, `vfnw${id}n`, `vfnw${id}h`, bridge, MAC_DYNAMIC);
}, 60_000);

afterAll(async () => {
  await cleanup();
  await hv?.close();
});

describe("a dual-stack NAT network (real libvirtd, real DHCP clients)", () => {
  test("is in sync on a second check; its bridge has the policy's MTU; the NAT port range is defined", async () => {
    expect((await resource(spec).checkApply(signal(), false)).changes).toEqual([]);
    expect(readFileSync(`/sys/class/net/${bridge}/mtu`, "utf8").trim()).toBe("1400");
    expect(await virsh("net-dumpxml", "--inactive", net)).toContain("<port start='2000' end='3000'/>");
  });

  test("DHCPv6: a client gets an address from the range; the DUID of a static host gets its address", async () => {
    const got = await client!.lease(6);
    const n = Number.parseInt(got.split(":").pop()!, 16);
    expect(got.startsWith(`fd7f:${x.toString(16)}:${idGroup}::`)).toBe(true);
    expect(n >= 0x100 && n <= 0x1ff, `${got} in ${v6("100")}–${v6("1ff")}`).toBe(true);
    await client!.setMac(MAC_STATIC6);
    expect(await client!.lease(6)).toBe(v6("42"));
  }, 90_000);

  test("DHCPv4: the MAC of a static host gets its address; DNS answers the host entry", async () => {
    await client!.setMac(MAC_STATIC4);
    expect(await client!.lease(4)).toBe(v4(7));
    expect(await dnsQuery(v4(1), "db.lab.internal", "A")).toEqual([v4(5)]);
  }, 60_000);

  test("a DNS host and a DHCPv6 host added to the policy are applied live (no restart) and served at once", async () => {
    const before = ifindex(bridge);
    const next: NetworkSpec = {
      ...spec,
      ipv6: {
        ...spec.ipv6!,
        dhcp: {
          ...spec.ipv6!.dhcp!,
          hosts: [...spec.ipv6!.dhcp!.hosts, { id: duidLL(MAC_LATER6), ip: v6("77"), name: null }],
        },
      },
      dns: { hosts: [...spec.dns!.hosts, { ip: v4(6), names: ["cache.lab.internal"] }], forwarders: [] },
    };
    const dry = await resource(next).checkApply(signal(), false);
    expect(dry.changes.map((c) => [c.field, c.disruption])).toEqual([
      ["dns.hosts[1]", "live"],
      ["ipv6.dhcp.hosts[1]", "live"],
    ]);
    const applied = await resource(next).checkApply(signal(), true);
    expect(applied.pendingRestart).toBe(false);
    expect(ifindex(bridge)).toBe(before);
    expect(await dnsQuery(v4(1), "cache.lab.internal", "A")).toEqual([v4(6)]);
    await client!.setMac(MAC_LATER6);
    expect(await client!.lease(6)).toBe(v6("77"));
    expect((await resource(next).checkApply(signal(), false)).changes).toEqual([]);
    // Removed again, live as well.
    const back = await resource(spec).checkApply(signal(), true);
    expect(back.changes.map((c) => c.disruption)).toEqual(["live", "live"]);
    expect(ifindex(bridge)).toBe(before);
    expect(await dnsQuery(v4(1), "cache.lab.internal", "A")).toEqual([]);
    expect((await resource(spec).checkApply(signal(), false)).changes).toEqual([]);
  }, 90_000);

  test("a DHCP host and a DNS host added to the running network only (net-update --live) are drift, removed live", async () => {
    const before = ifindex(bridge);
    await virsh(
      "net-update",
      net,
      "add-last",
      "ip-dhcp-host",
      `<host mac='52:54:00:4e:57:66' ip='${v4(66)}'/>`,
      "--live",
    );
    await virsh(
      "net-update",
      net,
      "add-last",
      "dns-host",
      `<host ip='${v4(67)}'><hostname>sneaky.lab.internal</hostname></host>`,
      "--live",
    );
    expect(await dnsQuery(v4(1), "sneaky.lab.internal", "A")).toEqual([v4(67)]);
    const dry = await resource(spec).checkApply(signal(), false);
    expect(dry.changes.map((c) => [c.field, c.to, c.disruption])).toEqual([
      [`running.dns.hosts[${v4(67)}]`, null, "live"],
      ["running.ipv4.dhcp.hosts[52:54:00:4e:57:66]", null, "live"],
    ]);
    expect(dry.pendingRestart).toBe(false);
    await resource(spec).checkApply(signal(), true);
    expect(await virsh("net-dumpxml", net)).not.toContain("52:54:00:4e:57:66");
    expect(await dnsQuery(v4(1), "sneaky.lab.internal", "A")).toEqual([]);
    expect(ifindex(bridge)).toBe(before);
    expect((await resource(spec).checkApply(signal(), false)).changes).toEqual([]);
  }, 60_000);

  test.each(["route", "open", "isolated"] as const)(
    "mode %s starts for real and is in sync",
    async (mode) => {
      const y = await freeSubnet24();
      const s: NetworkSpec = {
        ...base(`${prefix}-${mode}`, mode, `vfnw${id}${mode.slice(0, 2)}`),
        ipv4: { address: `192.168.${y}.1`, prefix: 24, dhcp: null },
        mtu: 1450,
      };
      await resource(s).checkApply(signal(), true);
      expect(await hv.networkIsActive(s.name)).toBe(true);
      expect(readFileSync(`/sys/class/net/${s.bridge}/mtu`, "utf8").trim()).toBe("1450");
      const forward = /<forward mode='([a-z]+)'/.exec(await virsh("net-dumpxml", "--inactive", s.name))?.[1] ?? "none";
      expect(forward).toBe(mode === "isolated" ? "none" : mode);
      expect((await resource(s).checkApply(signal(), false)).changes).toEqual([]);
      await virsh("net-destroy", s.name);
      await virsh("net-undefine", s.name);
    },
    60_000,
  );
});
