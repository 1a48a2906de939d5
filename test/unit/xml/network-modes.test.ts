import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../common/errors.js";
import { buildNetworkXml, diffNetwork, parseNetworkXml, type NetworkSpec } from "../../../kinds/index.js";
import { canonicalIpv6, formatIpv6, parseIpv6, subnet6 } from "../../../kinds/network/ipv6.js";
import { liveUpdateOf } from "../../../kinds/network/live-update.js";
import { clashOf, footprintOf } from "../../../kinds/network/footprint.js";

function spec(over: Partial<NetworkSpec>): NetworkSpec {
  return {
    name: "n",
    mode: "nat",
    bridge: "vfnwu0",
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
    ...over,
  };
}

const dual = spec({
  mtu: 1400,
  domain: "lab.internal",
  nat: { portStart: 2000, portEnd: 3000 },
  ipv4: {
    address: "10.5.0.1",
    prefix: 24,
    dhcp: { start: "10.5.0.10", end: "10.5.0.20", hosts: [{ mac: "52:54:00:00:00:01", ip: "10.5.0.5", name: "a" }] },
  },
  ipv6: {
    address: "fd00:5::1",
    prefix: 64,
    dhcp: {
      start: "fd00:5::100",
      end: "fd00:5::1ff",
      hosts: [
        { id: "0:3:0:1:52:54:0:0:0:1", ip: "fd00:5::5", name: null },
        { id: null, ip: "fd00:5::6", name: "b" },
      ],
    },
  },
  dns: { hosts: [{ ip: "10.5.0.7", names: ["db.lab.internal", "x.lab.internal"] }], forwarders: ["192.0.2.53"] },
  portgroups: [
    { name: "pg", vlan: null, default: true, inbound: { average: 100, peak: 200, burst: 10 }, outbound: null },
  ],
});

describe("network XML for every mode: built, parsed back, in sync", () => {
  it.each<[string, NetworkSpec]>([
    ["dual-stack nat", dual],
    ["route", spec({ mode: "route", ipv4: { address: "10.6.0.1", prefix: 24, dhcp: null } })],
    ["open", spec({ mode: "open", ipv6: { address: "fd00:6::1", prefix: 64, dhcp: null } })],
    ["isolated", spec({ mode: "isolated" })],
    [
      "bridge + openvswitch",
      spec({
        mode: "bridge",
        bridge: "br0",
        virtualport: "openvswitch",
        portgroups: [{ name: "v", vlan: 20, default: false, inbound: null, outbound: null }],
      }),
    ],
    ["macvtap vepa", spec({ mode: "macvtap", bridge: null, interface: "eno1", macvtapMode: "vepa" })],
    ["macvtap bridge", spec({ mode: "macvtap", bridge: null, interface: "eno1", macvtapMode: "bridge" })],
    ["hostdev", spec({ mode: "hostdev", bridge: null, pf: "enp3s0f0" })],
  ])("%s", (_, s) => {
    const parsed = parseNetworkXml(buildNetworkXml(s));
    expect(diffNetwork(s, parsed, true)).toEqual([]);
  });

  it("builds what libvirt's formatnetwork describes", () => {
    const xml = buildNetworkXml(dual);
    expect(xml).toContain('<port start="2000" end="3000"');
    expect(xml).toContain('<ip family="ipv6" address="fd00:5::1" prefix="64">');
    expect(xml).toContain('<host id="0:3:0:1:52:54:0:0:0:1" ip="fd00:5::5"');
    expect(xml).toContain('<host name="b" ip="fd00:5::6"');
    expect(xml).toContain("<hostname>x.lab.internal</hostname>");
    expect(buildNetworkXml(spec({ mode: "hostdev", bridge: null, pf: "p0" }))).toContain(
      '<forward mode="hostdev" managed="yes">',
    );
  });

  it("refuses specs the loader would have rejected", () => {
    expect(() => buildNetworkXml(spec({ mode: "macvtap", bridge: null }))).toThrow(ValidationError);
    expect(() => buildNetworkXml(spec({ mode: "bridge", bridge: "br0", mtu: 1400 }))).toThrow(/takes no ipv4/);
    expect(() => buildNetworkXml(spec({ ipv6: { address: "10.0.0.1", prefix: 64, dhcp: null } }))).toThrow(
      /not an IPv6 address/,
    );
    expect(() =>
      buildNetworkXml(
        spec({
          ipv6: {
            address: "fd00::1",
            prefix: 64,
            dhcp: { start: "fd00::2", end: "fd00::3", hosts: [{ id: null, ip: "fd00::4", name: null }] },
          },
        }),
      ),
    ).toThrow(/needs id \(DUID\) or name/);
  });

  it("IPv6 addresses not in canonical form (a bundle that skipped the loader) are built and compared canonically", () => {
    const s = spec({
      ipv6: {
        address: "fd7f:00c5:0579::0001",
        prefix: 64,
        dhcp: { start: "FD7F:c5:579::100", end: "fd7f:c5:579:0:0:0:0:1ff", hosts: [] },
      },
    });
    const xml = buildNetworkXml(s);
    expect(xml).toContain('address="fd7f:c5:579::1"');
    expect(diffNetwork(s, parseNetworkXml(xml), true)).toEqual([]);
  });

  it("a bundle of the previous release (no new fields) still builds and diffs", () => {
    const old = {
      name: "o",
      mode: "isolated",
      bridge: "vfnwo",
      ipv4: null,
      mtu: null,
      autostart: false,
      state: "active",
    } as NetworkSpec;
    expect(diffNetwork(old, parseNetworkXml(buildNetworkXml(old)), true)).toEqual([]);
  });
});

describe("network diff of the new fields", () => {
  const actual = () => parseNetworkXml(buildNetworkXml(dual));
  it("DHCPv6 and DNS hosts are live, the rest restart", () => {
    const next: NetworkSpec = {
      ...dual,
      domain: "other.internal",
      dns: { hosts: [{ ip: "10.5.0.8", names: ["n.lab.internal"] }], forwarders: [] },
      ipv6: {
        ...dual.ipv6!,
        dhcp: { ...dual.ipv6!.dhcp!, hosts: [{ id: "0:3:0:1:52:54:0:0:0:1", ip: "fd00:5::9", name: null }] },
      },
      portgroups: [],
    };
    expect(diffNetwork(next, actual(), true).map((c) => [c.field, c.disruption])).toEqual([
      ["domain", "restart"],
      ["dns.forwarders", "restart"],
      ["dns.hosts[0]", "live"],
      ["dns.hosts[10.5.0.7]", "live"],
      ["portgroups[pg]", "restart"],
      ["ipv6.dhcp.hosts[0]", "live"],
      ["ipv6.dhcp.hosts[name:b]", "live"],
    ]);
    expect(diffNetwork(next, actual(), false).every((c) => c.disruption === "live")).toBe(true);
  });

  it("maps live changes to net-update calls (a changed DHCPv6 host: delete + add at the IPv6 <ip>'s index)", () => {
    const a = actual();
    const changed = {
      field: "ipv6.dhcp.hosts[0]",
      from: { id: "0:1", ip: "fd00:5::5", name: null },
      to: { id: "0:1", ip: "fd00:5::9", name: null },
      disruption: "live" as const,
    };
    expect(liveUpdateOf("n", changed, a).map((u) => [u.command, u.section, u.parentIndex])).toEqual([
      ["DELETE", "IP_DHCP_HOST", 1],
      ["ADD_LAST", "IP_DHCP_HOST", 1],
    ]);
    const dns = {
      field: "dns.hosts[0]",
      from: null,
      to: { ip: "10.5.0.8", names: ["n"] },
      disruption: "live" as const,
    };
    expect(liveUpdateOf("n", dns, a)).toEqual([
      expect.objectContaining({ command: "ADD_LAST", section: "DNS_HOST", live: true, config: false }),
    ]);
    const v4 = {
      field: "ipv4.dhcp.hosts[0]",
      from: { mac: "52:54:00:00:00:01", ip: "10.5.0.5", name: null },
      to: { mac: "52:54:00:00:00:01", ip: "10.5.0.6", name: null },
      disruption: "live" as const,
    };
    expect(liveUpdateOf("n", v4, a).map((u) => [u.command, u.parentIndex])).toEqual([["MODIFY", 0]]);
    expect(liveUpdateOf("n", { field: "mtu", from: 1, to: 2, disruption: "live" }, a)).toEqual([]);
  });
});

describe("IPv6 arithmetic", () => {
  it("canonical form as libvirt writes it (RFC 5952)", () => {
    expect(canonicalIpv6("FD00:0110:0000:0000:0000:0000:0000:0001")).toBe("fd00:110::1");
    expect(canonicalIpv6("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalIpv6("2001:db8:0:1:1:1:1:1")).toBe("2001:db8:0:1:1:1:1:1");
    expect(canonicalIpv6("::")).toBe("::");
    expect(parseIpv6("::ffff:1.2.3.4")).toBeNull();
    expect(parseIpv6("fe80::1%eth0")).toBeNull();
  });
  it("subnets", () => {
    const s = subnet6(parseIpv6("fd00:5::abcd")!, 64);
    expect(formatIpv6(s.network)).toBe("fd00:5::");
    expect(formatIpv6(s.last)).toBe("fd00:5::ffff:ffff:ffff:ffff");
  });
});

describe("footprints", () => {
  it("a created bridge, overlapping IPv4 and IPv6 subnets clash; two networks on one existing host bridge do not", () => {
    const fp = (o: Partial<NetworkSpec>) => footprintOf(spec(o));
    expect(clashOf(fp({ bridge: "b1" }), fp({ bridge: "b1", mode: "isolated" }))).toBe("bridge b1");
    expect(clashOf(fp({ mode: "bridge", bridge: "br0" }), fp({ mode: "bridge", bridge: "br0" }))).toBeNull();
    expect(
      clashOf(
        fp({ bridge: "a", ipv4: { address: "10.0.0.1", prefix: 8, dhcp: null } }),
        fp({ bridge: "b", ipv4: { address: "10.1.0.1", prefix: 16, dhcp: null } }),
      ),
    ).toBe("IPv4 subnet 10.0.0.0/8 (overlaps 10.1.0.0/16)");
    expect(
      clashOf(
        fp({ bridge: "a", ipv4: { address: "10.0.0.1", prefix: 24, dhcp: null } }),
        fp({ bridge: "b", ipv4: { address: "10.0.1.1", prefix: 24, dhcp: null } }),
      ),
    ).toBeNull();
    expect(
      clashOf(
        fp({ bridge: "a", ipv6: { address: "fd00::1", prefix: 48, dhcp: null } }),
        fp({ bridge: "b", ipv6: { address: "fd00:0:0:1::1", prefix: 64, dhcp: null } }),
      ),
    ).toBe("IPv6 subnet fd00::/48 (overlaps fd00:0:0:1::/64)");
  });
});
