import { describe, expect, it } from "vitest";
import { parseLinks, planHostNetwork, type Link } from "../../../../kinds/host/network/index.js";
import type { HostNetworkSpec } from "../../../../kinds/host/network/spec.js";

const spec = (over: Partial<HostNetworkSpec> = {}): HostNetworkSpec => ({
  bridges: [],
  bonds: [],
  vlans: [],
  allowUplinkChange: false,
  ...over,
});
const nic = (name: string, over: Partial<Link> = {}): Link => ({
  name,
  kind: "",
  master: null,
  mtu: 1500,
  up: true,
  alias: null,
  ...over,
});
const links = (...l: Link[]) => new Map(l.map((x) => [x.name, x]));
const argv = (p: { steps: { argv: string[] }[] }) => p.steps.map((s) => s.argv.join(" "));
const br = { name: "br0", interfaces: ["eno1", "eno2"], stp: false, mtu: 9000, vlanFiltering: false, adopt: false };

describe("planHostNetwork: bridges", () => {
  it("creates a bridge, marks it, enslaves its members, sets its MTU and brings it up", () => {
    const p = planHostNetwork(spec({ bridges: [br] }), links(nic("eno1"), nic("eno2", { up: false })));
    expect(argv(p)).toEqual([
      "link add br0 type bridge stp_state 0",
      "link set br0 alias virtfleet:created",
      "link set eno1 master br0",
      "link set eno2 master br0",
      "link set eno2 up",
      "link set br0 mtu 9000",
      "link set br0 up",
    ]);
    expect(p.changes.map((c) => c.field)).toEqual(["bridges.br0", "bridges.br0.interfaces"]);
    expect(p.conflicts).toEqual([]);
    expect(p.missing).toEqual([]);
    // undo: the bridge deleted, the members released, eno2 down again
    expect(p.steps[0]!.undo).toEqual([["link", "del", "br0"]]);
    expect(p.steps[2]!.undo).toEqual([["link", "set", "eno1", "nomaster"]]);
    expect(p.steps[4]!.undo).toEqual([["link", "set", "eno2", "down"]]);
  });

  it("in sync: nothing to do", () => {
    const actual = links(
      nic("br0", {
        kind: "bridge",
        mtu: 9000,
        alias: "virtfleet:created",
        bridge: { stp: false, vlanFiltering: false },
      }),
      nic("eno1", { master: "br0" }),
      nic("eno2", { master: "br0" }),
    );
    expect(planHostNetwork(spec({ bridges: [br] }), actual)).toEqual({
      changes: [],
      steps: [],
      conflicts: [],
      missing: [],
    });
  });

  it("drift: a member released, stp flipped, mtu changed, the bridge down; a guest's tap stays", () => {
    const actual = links(
      nic("br0", {
        kind: "bridge",
        mtu: 1500,
        up: false,
        alias: "virtfleet:created",
        bridge: { stp: true, vlanFiltering: false },
      }),
      nic("eno1"),
      nic("eno2", { master: "br0" }),
      nic("eth9", { master: "br0" }),
      nic("vnet0", { kind: "tun", master: "br0" }),
    );
    const p = planHostNetwork(spec({ bridges: [br] }), actual);
    expect(argv(p)).toEqual([
      "link set br0 type bridge stp_state 0",
      "link set eth9 nomaster",
      "link set eno1 master br0",
      "link set br0 mtu 9000",
      "link set br0 up",
    ]);
    expect(p.changes).toEqual([
      { field: "bridges.br0.stp", from: true, to: false, disruption: "live" },
      {
        field: "bridges.br0.interfaces",
        from: ["eno2", "eth9", "vnet0"],
        to: ["eno1", "eno2", "vnet0"],
        disruption: "live",
      },
      { field: "bridges.br0.mtu", from: 1500, to: 9000, disruption: "live" },
      { field: "bridges.br0.state", from: "down", to: "up", disruption: "live" },
    ]);
    expect(p.steps[0]!.undo).toEqual([["link", "set", "br0", "type", "bridge", "stp_state", "1"]]);
    expect(p.steps[3]!.undo).toEqual([["link", "set", "br0", "mtu", "1500"]]);
  });

  it("a bridge virtfleet did not create is a conflict unless adopted; adopting marks it", () => {
    const actual = links(nic("br0", { kind: "bridge", mtu: 9000, bridge: { stp: false, vlanFiltering: false } }));
    const p = planHostNetwork(spec({ bridges: [{ ...br, interfaces: [] }] }), actual);
    expect(p.conflicts).toEqual(["br0 exists and virtfleet did not create it (set adopt: true on it to manage it)"]);
    expect(p.steps).toEqual([]);
    const a = planHostNetwork(spec({ bridges: [{ ...br, interfaces: [], adopt: true }] }), actual);
    expect(argv(a)).toEqual(["link set br0 alias virtfleet:adopted"]);
    expect(a.changes).toEqual([
      { field: "bridges.br0.ownership", from: "unmanaged", to: "adopted", disruption: "live" },
    ]);
  });

  it("a name taken by another kind of interface is a conflict", () => {
    const p = planHostNetwork(spec({ bridges: [{ ...br, interfaces: [] }] }), links(nic("br0", { kind: "veth" })));
    expect(p.conflicts).toEqual(["br0 exists and is a veth, not a bridge"]);
  });

  it("a bridge recreated from its persistent file after a reboot (no alias) is owned and marked again, silently", () => {
    const actual = links(nic("br0", { kind: "bridge", mtu: 9000, bridge: { stp: false, vlanFiltering: false } }));
    const p = planHostNetwork(spec({ bridges: [{ ...br, interfaces: [] }] }), actual, new Map([["br0", "created"]]));
    expect(p.conflicts).toEqual([]);
    expect(argv(p)).toEqual(["link set br0 alias virtfleet:created"]);
    expect(p.changes).toEqual([]);
  });

  it("dropped: a bridge virtfleet created is deleted (its undo recreates it with its members); an adopted one only loses the marker; a foreign one is left alone", () => {
    const actual = links(
      nic("br0", {
        kind: "bridge",
        mtu: 9000,
        alias: "virtfleet:created",
        bridge: { stp: true, vlanFiltering: false },
      }),
      nic("eno1", { master: "br0" }),
      nic("br1", { kind: "bridge", alias: "virtfleet:adopted", bridge: { stp: false, vlanFiltering: false } }),
      nic("virbr0", { kind: "bridge", bridge: { stp: true, vlanFiltering: false } }),
    );
    const p = planHostNetwork(spec(), actual);
    expect(argv(p)).toEqual(["link del br0", "link set br1 alias "]);
    expect(p.changes.map((c) => `${c.field}: ${c.from} → ${c.to}`)).toEqual([
      "bridges.br0: present → absent",
      "bridges.br1.ownership: adopted → unmanaged",
    ]);
    expect(p.steps[0]!.touches).toEqual(["br0", "eno1"]);
    expect(p.steps[0]!.undo.map((a) => a.join(" "))).toEqual([
      "link add br0 type bridge stp_state 1",
      "link set br0 alias virtfleet:created",
      "link set br0 mtu 9000",
      "link set eno1 master br0",
      "link set eno1 up",
      "link set br0 up",
    ]);
  });

  it("drop: false leaves undeclared interfaces alone", () => {
    const actual = links(
      nic("br0", { kind: "bridge", alias: "virtfleet:created", bridge: { stp: false, vlanFiltering: false } }),
    );
    expect(planHostNetwork(spec(), actual, new Map(), { drop: false }).steps).toEqual([]);
  });

  it("a member that does not exist and is not declared is missing", () => {
    const p = planHostNetwork(spec({ bridges: [br] }), links(nic("eno1")));
    expect(p.missing).toEqual(["eno2 (member of br0)"]);
  });

  it("vlanFiltering is passed only when wanted", () => {
    const p = planHostNetwork(spec({ bridges: [{ ...br, interfaces: [], mtu: null, vlanFiltering: true }] }), links());
    expect(argv(p)[0]).toBe("link add br0 type bridge stp_state 0 vlan_filtering 1");
  });
});

describe("planHostNetwork: bonds and VLANs (argv only: this kernel has neither bonding nor 8021q)", () => {
  const bond = {
    name: "bond0",
    mode: "802.3ad" as const,
    interfaces: ["eno1", "eno2"],
    miimon: 100,
    mtu: null,
    adopt: false,
  };

  it("a bond on two NICs, a VLAN on the bond, a bridge on the VLAN", () => {
    const p = planHostNetwork(
      spec({
        bonds: [bond],
        vlans: [{ name: "bond0.20", link: "bond0", id: 20, mtu: null, adopt: false }],
        bridges: [{ ...br, interfaces: ["bond0.20"], mtu: null }],
      }),
      links(nic("eno1"), nic("eno2")),
    );
    expect(argv(p)).toEqual([
      "link add bond0 type bond mode 802.3ad miimon 100",
      "link set bond0 alias virtfleet:created",
      "link add br0 type bridge stp_state 0",
      "link set br0 alias virtfleet:created",
      "link add link bond0 name bond0.20 type vlan id 20",
      "link set bond0.20 alias virtfleet:created",
      "link set eno1 down",
      "link set eno1 master bond0",
      "link set eno1 up",
      "link set eno2 down",
      "link set eno2 master bond0",
      "link set eno2 up",
      "link set bond0.20 master br0",
      "link set bond0.20 up",
      "link set bond0 up",
      "link set br0 up",
    ]);
    expect(p.changes.map((c) => c.field)).toEqual([
      "bonds.bond0",
      "bridges.br0",
      "vlans.bond0.20",
      "bonds.bond0.interfaces",
      "bridges.br0.interfaces",
    ]);
  });

  it("bond miimon changes live; a mode change recreates the bond and re-enslaves its slaves", () => {
    const actual = links(
      nic("bond0", { kind: "bond", alias: "virtfleet:created", bond: { mode: "active-backup", miimon: 50 } }),
      nic("eno1", { master: "bond0" }),
      nic("eno2", { master: "bond0" }),
    );
    const live = planHostNetwork(spec({ bonds: [{ ...bond, mode: "active-backup" }] }), actual);
    expect(argv(live)).toEqual(["link set bond0 type bond miimon 100"]);
    const p = planHostNetwork(spec({ bonds: [bond] }), actual);
    expect(p.changes[0]).toEqual({
      field: "bonds.bond0.mode",
      from: "active-backup",
      to: "802.3ad",
      disruption: "recreate",
    });
    expect(argv(p)).toEqual([
      "link del bond0",
      "link add bond0 type bond mode 802.3ad miimon 100",
      "link set bond0 alias virtfleet:created",
      "link set eno1 down",
      "link set eno1 master bond0",
      "link set eno1 up",
      "link set eno2 down",
      "link set eno2 master bond0",
      "link set eno2 up",
      "link set bond0 up",
    ]);
  });

  it("a VLAN whose id changes is recreated; a VLAN on a missing link is missing", () => {
    const actual = links(
      nic("eno1"),
      nic("eno1.20", { kind: "vlan", alias: "virtfleet:created", vlan: { id: 20, link: "eno1" } }),
    );
    const p = planHostNetwork(
      spec({ vlans: [{ name: "eno1.20", link: "eno1", id: 21, mtu: null, adopt: false }] }),
      actual,
    );
    expect(argv(p)).toEqual([
      "link del eno1.20",
      "link add link eno1 name eno1.20 type vlan id 21",
      "link set eno1.20 alias virtfleet:created",
      "link set eno1.20 up",
    ]);
    const m = planHostNetwork(
      spec({ vlans: [{ name: "eno9.20", link: "eno9", id: 20, mtu: null, adopt: false }] }),
      links(),
    );
    expect(m.missing).toEqual(["eno9 (link of VLAN eno9.20)"]);
  });
});

describe("parseLinks", () => {
  it("reads kind, master, mtu, UP, alias, bridge/bond/vlan details from ip -json -details", () => {
    const json = JSON.stringify([
      {
        ifname: "br0",
        flags: ["BROADCAST", "UP"],
        mtu: 9000,
        ifalias: "virtfleet:created",
        linkinfo: { info_kind: "bridge", info_data: { stp_state: 1, vlan_filtering: 0 } },
      },
      { ifname: "veth1", link: "veth2", master: "br0", flags: [], mtu: 1500, linkinfo: { info_kind: "veth" } },
      {
        ifname: "bond0",
        flags: ["UP"],
        mtu: 1500,
        linkinfo: { info_kind: "bond", info_data: { mode: "802.3ad", miimon: 100 } },
      },
      {
        ifname: "bond0.20",
        link: "bond0",
        flags: ["UP"],
        mtu: 1500,
        linkinfo: { info_kind: "vlan", info_data: { id: 20 } },
      },
    ]);
    expect(parseLinks(json)).toEqual([
      {
        name: "br0",
        kind: "bridge",
        master: null,
        mtu: 9000,
        up: true,
        alias: "virtfleet:created",
        bridge: { stp: true, vlanFiltering: false },
      },
      { name: "veth1", kind: "veth", master: "br0", mtu: 1500, up: false, alias: null },
      {
        name: "bond0",
        kind: "bond",
        master: null,
        mtu: 1500,
        up: true,
        alias: null,
        bond: { mode: "802.3ad", miimon: 100 },
      },
      {
        name: "bond0.20",
        kind: "vlan",
        master: null,
        mtu: 1500,
        up: true,
        alias: null,
        vlan: { id: 20, link: "bond0" },
      },
    ]);
  });

  it("refuses output that is not the JSON list ip prints", () => {
    expect(() => parseLinks("eth0: <UP>")).toThrow(/not JSON/);
    expect(() => parseLinks("{}")).toThrow(/not print a list/);
  });
});
