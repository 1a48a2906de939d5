import { describe, expect, it } from "vitest";
import { diffNetwork, parseNetworkXml, type ParsedNetwork } from "../../../kinds/index.js";
import type { NetworkSpec } from "../../../kinds/network/spec.js";
import { fixture } from "./fixtures.js";
import * as S from "./specs.js";

const stored = (): ParsedNetwork => parseNetworkXml(fixture("network-nat.xml"));
const spec = (f: (n: NetworkSpec) => void): NetworkSpec => {
  const n = S.natNetwork();
  f(n);
  return n;
};

describe("diffNetwork", () => {
  it.each<[string, (n: NetworkSpec) => void, string, unknown, unknown]>([
    ["mode", (n) => (n.mode = "route"), "mode", "nat", "route"],
    ["bridge", (n) => (n.bridge = "vftxother"), "bridge", "vftxfix0", "vftxother"],
    ["mtu", (n) => (n.mtu = 9000), "mtu", 1400, 9000],
    ["address", (n) => (n.ipv4!.address = "192.168.250.2"), "ipv4.address", "192.168.250.1", "192.168.250.2"],
    ["prefix", (n) => (n.ipv4!.prefix = 23), "ipv4.prefix", 24, 23],
    [
      "range start",
      (n) => (n.ipv4!.dhcp!.start = "192.168.250.50"),
      "ipv4.dhcp.start",
      "192.168.250.100",
      "192.168.250.50",
    ],
    [
      "range end",
      (n) => (n.ipv4!.dhcp!.end = "192.168.250.250"),
      "ipv4.dhcp.end",
      "192.168.250.200",
      "192.168.250.250",
    ],
  ])("%s on an active network is restart", (_, f, field, from, to) => {
    expect(diffNetwork(spec(f), stored(), true)).toEqual([{ field, from, to, disruption: "restart" }]);
  });

  it("dhcp on/off and ipv4 on/off are restart", () => {
    expect(
      diffNetwork(
        spec((n) => (n.ipv4!.dhcp = null)),
        stored(),
        true,
      ).map((c) => [c.field, c.disruption]),
    ).toEqual([["ipv4.dhcp", "restart"]]);
    expect(
      diffNetwork(
        spec((n) => (n.ipv4 = null)),
        stored(),
        true,
      ).map((c) => [c.field, c.to, c.disruption]),
    ).toEqual([["ipv4", null, "restart"]]);
  });

  it("static DHCP hosts: add, change, remove are live (net-update)", () => {
    const added = spec((n) => n.ipv4!.dhcp!.hosts.push({ mac: "52:54:00:AA:10:03", ip: "192.168.250.13", name: "c" }));
    expect(diffNetwork(added, stored(), true)).toEqual([
      {
        field: "ipv4.dhcp.hosts[2]",
        from: null,
        to: { mac: "52:54:00:aa:10:03", ip: "192.168.250.13", name: "c" },
        disruption: "live",
      },
    ]);
    const changed = spec((n) => (n.ipv4!.dhcp!.hosts[1]!.name = "second"));
    expect(diffNetwork(changed, stored(), true)).toEqual([
      {
        field: "ipv4.dhcp.hosts[1]",
        from: { mac: "52:54:00:aa:10:02", ip: "192.168.250.12", name: null },
        to: { mac: "52:54:00:aa:10:02", ip: "192.168.250.12", name: "second" },
        disruption: "live",
      },
    ]);
    const removed = spec((n) => n.ipv4!.dhcp!.hosts.splice(0, 1));
    expect(diffNetwork(removed, stored(), true)).toEqual([
      {
        field: "ipv4.dhcp.hosts[52:54:00:aa:10:01]",
        from: { mac: "52:54:00:aa:10:01", ip: "192.168.250.11", name: "full" },
        to: null,
        disruption: "live",
      },
    ]);
    expect(
      diffNetwork(
        spec((n) => n.ipv4!.dhcp!.hosts.reverse()),
        stored(),
        true,
      ),
    ).toEqual([]);
  });

  it("an inactive network: every change is live; a different UUID is recreate", () => {
    expect(
      diffNetwork(
        spec((n) => (n.mtu = 9000)),
        stored(),
        false,
      )[0]!.disruption,
    ).toBe("live");
    expect(
      diffNetwork(S.natNetwork(), stored(), false, { uuid: "00000000-0000-0000-0000-000000000000" })[0],
    ).toMatchObject({ field: "uuid", disruption: "recreate" });
    expect(diffNetwork(S.natNetwork(), stored(), true, { uuid: stored().uuid! })).toEqual([]);
  });

  it("null bridge and null mtu are libvirt's choice", () => {
    expect(
      diffNetwork(
        spec((n) => {
          n.bridge = null;
          n.mtu = null;
        }),
        stored(),
        true,
      ),
    ).toEqual([]);
  });
});
