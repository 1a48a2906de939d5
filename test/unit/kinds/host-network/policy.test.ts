import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatConflict, resolveHostPolicies } from "../../../../common/index.js";
import {
  checkBridgeExists,
  declaredResources,
  HostNetworkResource,
  MissingBridgeError,
  NetworkResource,
} from "../../../../kinds/index.js";
import { load, lines, policy } from "../../policy/helpers.js";

const options = () => ({ ctx: {} as never, domainEnv: {} as never });

function build(files: Record<string, string>) {
  const r = load(files);
  expect(lines(r)).toEqual([]);
  const out = resolveHostPolicies(r.policies, r.inventory, { name: "kvm01" });
  return { resources: declaredResources(out.policies, options()), conflicts: out.conflicts, load: r };
}

describe("host networking in policies", () => {
  it("resolves the field contract with its defaults into host/network; networks and guests depend on it", () => {
    const { resources } = build({
      "a.yaml": policy(
        "a",
        `    host:
      bridges:
        - {name: br0, interfaces: [bond0], stp: false, mtu: 9000, vlanFiltering: false}
      bonds:
        - {name: bond0, mode: 802.3ad, interfaces: [eno2, eno1], miimon: 100}
      vlans:
        - {name: eno1.20, link: eno1, id: 20}
      allowUplinkChange: false
    networks:
      - {name: lan, mode: bridge, bridge: br0}
    pools:
      - {name: p, type: dir, path: /var/lib/libvirt/p}
`,
      ),
    });
    const net = resources.find((r) => r.kind === "host" && r.name === "network") as HostNetworkResource;
    expect(net.spec).toEqual({
      bridges: [{ name: "br0", interfaces: ["bond0"], stp: false, mtu: 9000, vlanFiltering: false, adopt: false }],
      bonds: [{ name: "bond0", mode: "802.3ad", interfaces: ["eno1", "eno2"], miimon: 100, mtu: null, adopt: false }],
      vlans: [{ name: "eno1.20", link: "eno1", id: 20, mtu: null, adopt: false }],
      allowUplinkChange: false,
    });
    expect(net.dependsOn).toEqual(["host/host"]);
    expect(resources.find((r) => r.kind === "network")!.dependsOn).toEqual(["host/host", "host/network"]);
    expect(resources.find((r) => r.kind === "pool")!.dependsOn).toEqual(["host/host"]);
  });

  it("a policy without host networking has no host/network resource and an unchanged host spec", () => {
    const { resources } = build({ "a.yaml": policy("a", "    host: {sysctl: {vm.swappiness: 10}}\n") });
    expect(resources.map((r) => `${r.kind}/${r.name}`)).toEqual(["host/host"]);
    expect((resources[0] as unknown as { spec: object }).spec).not.toHaveProperty("network");
  });

  it("merges by interface name across policies; identical declarations agree, different ones conflict (priority wins)", () => {
    const { resources, conflicts } = build({
      "a.yaml": policy(
        "a",
        "    host:\n      bridges: [{name: br0, interfaces: [eth1]}, {name: br1}]\n      allowUplinkChange: true\n",
      ),
      "b.yaml": policy(
        "b",
        "    host:\n      bridges: [{name: br0, interfaces: [eth2]}, {name: br1}, {name: br2}]\n      allowUplinkChange: true\n",
        "  priority: 10\n",
      ),
    });
    const net = resources.find((r) => r instanceof HostNetworkResource) as HostNetworkResource;
    expect(net.spec.bridges.map((b) => [b.name, b.interfaces])).toEqual([
      ["br0", ["eth2"]],
      ["br1", []],
      ["br2", []],
    ]);
    expect(net.spec.allowUplinkChange).toBe(true);
    expect(conflicts.map((c) => [c.identity, c.winner])).toEqual([["hostInterface/br0", "b"]]);
    expect(formatConflict(conflicts[0]!)).toContain('hostInterface "br0" is declared by policy');
  });

  it("allowUplinkChange is true only when every policy declaring host networking says so", () => {
    const { resources } = build({
      "a.yaml": policy("a", "    host:\n      bridges: [{name: br0}]\n      allowUplinkChange: true\n"),
      "b.yaml": policy("b", "    host:\n      bridges: [{name: br1}]\n"),
      "c.yaml": policy("c", "    host: {sysctl: {vm.swappiness: 10}}\n"),
    });
    const net = resources.find((r) => r instanceof HostNetworkResource) as HostNetworkResource;
    expect(net.spec.bridges.map((b) => b.name)).toEqual(["br0", "br1"]);
    expect(net.spec.allowUplinkChange).toBe(false);
  });

  it("audit-mode networking next to enforced networking is host/network-audit", () => {
    const { resources } = build({
      "a.yaml": policy("a", "    host:\n      bridges: [{name: br0}]\n"),
      "b.yaml": policy("b", "    host:\n      bridges: [{name: br1}]\n", "  mode: audit\n"),
    });
    expect(resources.filter((r) => r instanceof HostNetworkResource).map((r) => r.name)).toEqual([
      "network",
      "network-audit",
    ]);
  });

  it("bad input: each error names file:line:col and nothing resolves", () => {
    const r = load({
      "bad.yaml": policy(
        "bad",
        `    host:
      bridges:
        - {name: br0, interfaces: [eth0, br1]}
        - {name: br1, interfaces: [eth0, br1]}
        - {name: this-name-is-too-long}
      bonds:
        - {name: br0, mode: lacp}
      vlans:
        - {name: all, link: all, id: 4095}
`,
      ),
    });
    expect(lines(r)).toEqual([
      'bad.yaml:11:18: spec.resources.host.bridges[2].name: invalid value "this-name-is-too-long": a Linux interface name of at most 15 characters',
      'bad.yaml:13:29: spec.resources.host.bonds[0].mode: must be one of: balance-rr, active-backup, balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb (got "lacp")',
      "bad.yaml:15:38: spec.resources.host.vlans[0].id: must be at most 4094 (got 4095)",
    ]);
    expect(r.policies).toEqual([]);
    const ok = load({
      "bad.yaml": policy(
        "bad",
        `    host:
      bridges:
        - {name: br0, interfaces: [eth0, br1]}
        - {name: br1, interfaces: [eth0, br1]}
      bonds:
        - {name: br0}
      vlans:
        - {name: all, link: all, id: 20}
`,
      ),
    });
    expect(lines(ok)).toEqual([
      "bad.yaml:9:42: spec.resources.host.bridges[0].interfaces[1]: br1 is a bridge declared here; a bridge cannot be a member of a bridge or bond",
      "bad.yaml:10:36: spec.resources.host.bridges[1].interfaces[0]: eth0 is already a member of br0; an interface has at most one master",
      "bad.yaml:10:42: spec.resources.host.bridges[1].interfaces[1]: br1 cannot be a member of itself",
      'bad.yaml:12:18: spec.resources.host.bonds[0].name: interface "br0" is declared twice (first at bridges[0]); bridges, bonds and VLANs share one name space',
      'bad.yaml:14:18: spec.resources.host.vlans[0].name: "all" is reserved by the kernel; choose another name',
      "bad.yaml:14:29: spec.resources.host.vlans[0].link: VLAN all cannot be its own link",
    ]);
  });
});

describe("the bridge-exists check counts the bundle's own host bridges", () => {
  it("a mode: bridge network on a bridge host.bridges creates passes; on any other missing bridge it fails", async () => {
    const sys = await mkdtemp(join(tmpdir(), "vft-hn-sys-"));
    try {
      const { resources } = build({
        "a.yaml": policy(
          "a",
          "    host:\n      bridges: [{name: br0}]\n    networks:\n      - {name: lan, mode: bridge, bridge: br0}\n      - {name: lan2, mode: bridge, bridge: br9}\n",
        ),
      });
      const [lan, lan2] = resources.filter((r) => r instanceof NetworkResource) as NetworkResource[];
      await expect(checkBridgeExists(lan!.spec, sys)).resolves.toBeUndefined();
      await expect(checkBridgeExists(lan2!.spec, sys)).rejects.toThrow(MissingBridgeError);
      // an audit-mode policy's bridges are never created: they do not count
      const audit = build({
        "a.yaml": policy(
          "a",
          "    host:\n      bridges: [{name: br0}]\n    networks:\n      - {name: lan, mode: bridge, bridge: br0}\n",
          "  mode: audit\n",
        ),
      });
      const n = audit.resources.find((r) => r instanceof NetworkResource) as NetworkResource;
      await expect(checkBridgeExists(n.spec, sys)).rejects.toThrow(/uses bridge br0, which does not exist/);
    } finally {
      await rm(sys, { recursive: true, force: true });
    }
  });
});
