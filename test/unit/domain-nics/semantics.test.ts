/**
 * Bad NIC input rejected at policy load, each at its field with file:line:col: none or more
 * than one of network/bridge/direct, portgroup without network, macvtapMode without direct,
 * queues without virtio, duplicate bootIndex (NICs and disks), bootIndex with the domain's
 * boot list, a network declared absent, a port group the declared network lacks, VLAN tags
 * where libvirt refuses them, bandwidth peak below average.
 */
import { describe, expect, it } from "vitest";
import { lines, load, policy } from "../policy/helpers.js";

const errs = (domainFields: string, networks = "") =>
  lines(
    load({
      "p.yaml": policy("p", `${networks}    domains:\n      - {name: g, vcpus: 1, memory: 64MiB, ${domainFields}}\n`),
    }),
  );
const nics = (list: string, networks = "") => errs(`interfaces: [${list}]`, networks);
const at = (line: number, path: string, message: string | RegExp) =>
  expect.stringMatching(
    new RegExp(
      `^p\\.yaml:${line}:\\d+: spec\\.resources\\.domains\\[0\\]\\.${path.replace(/[[\].]/g, "\\$&")}: ${typeof message === "string" ? message.replace(/[()[\].*+?^$|\\]/g, "\\$&") : message.source}`,
    ),
  );

describe("NICs: policy-load checks", () => {
  it("valid NICs of each kind pass", () => {
    expect(
      nics(
        "{network: n1, portgroup: pg1, queues: 2, bootIndex: 1, link: down, bandwidth: {inbound: {average: 10, peak: 20, burst: 5}, outbound: {average: 10}}}, {bridge: br0, model: e1000, bootIndex: 2}, {direct: eth0, macvtapMode: passthrough, vlan: 20}",
      ),
    ).toEqual([]);
  });

  it("exactly one of network, bridge, direct", () => {
    expect(nics("{model: virtio}")).toEqual([at(8, "interfaces[0]", "a NIC needs one of network, bridge or direct")]);
    expect(nics("{network: n1, bridge: br0, direct: eth0}")).toEqual([
      at(
        8,
        "interfaces[0].bridge",
        "a NIC attaches to one of network, bridge or direct, not network and bridge and direct",
      ),
      at(
        8,
        "interfaces[0].direct",
        "a NIC attaches to one of network, bridge or direct, not network and bridge and direct",
      ),
    ]);
  });

  it("portgroup needs network, macvtapMode needs direct, queues needs virtio", () => {
    expect(nics("{bridge: br0, portgroup: pg1}")).toEqual([
      at(8, "interfaces[0].portgroup", /portgroup needs network/),
    ]);
    expect(nics("{network: n1, macvtapMode: bridge}")).toEqual([
      at(8, "interfaces[0].macvtapMode", /macvtapMode needs direct/),
    ]);
    expect(nics("{network: n1, model: e1000, queues: 2}")).toEqual([
      at(8, "interfaces[0].queues", "queues (multiqueue) needs model virtio, not e1000"),
    ]);
  });

  it("bootIndex unique across the guest's NICs (and its disks), and not with the boot list", () => {
    expect(nics("{network: n1, bootIndex: 1}, {bridge: br0, bootIndex: 1}")).toEqual([
      at(8, "interfaces[1].bootIndex", "bootIndex 1 is also used by interfaces[0] (one device per index)"),
    ]);
  });

  it("a network declared absent; a port group the declared network does not have", () => {
    const nets =
      "    networks:\n      - {name: gone, state: absent}\n      - {name: n1, mode: isolated, portgroups: [{name: pg1}]}\n";
    expect(nics("{network: gone}", nets)).toEqual([
      at(11, "interfaces[0].network", 'network "gone" is declared absent in this policy'),
    ]);
    expect(nics("{network: n1, portgroup: pg2}", nets)).toEqual([
      at(11, "interfaces[0].portgroup", 'network "n1" (declared in this policy) has no port group "pg2"'),
    ]);
    expect(nics("{network: n1, portgroup: pg1}", nets)).toEqual([]);
    // A network of another policy or of the host: checked in the plan stage.
    expect(nics("{network: elsewhere, portgroup: pg9}", nets)).toEqual([]);
  });

  it("VLAN tags only where libvirt tags them", () => {
    // Whether br0 is an Open vSwitch bridge only the host can tell (the plan stage).
    expect(nics("{bridge: br0, vlan: 20}")).toEqual([]);
    expect(nics("{direct: eth0, macvtapMode: bridge, vlan: 20}")).toEqual([
      at(8, "interfaces[0].vlan", /a VLAN tag on a direct NIC needs macvtapMode passthrough/),
    ]);
    expect(nics("{direct: eth0, vlan: 20}")).toEqual([
      at(8, "interfaces[0].vlan", /a VLAN tag on a direct NIC needs macvtapMode passthrough/),
    ]);
    const nets =
      "    networks:\n      - {name: nat1, mode: nat}\n      - {name: hd, mode: hostdev, pf: eth0}\n      - {name: ovs, mode: bridge, bridge: ovsbr0, virtualport: openvswitch}\n      - {name: mv, mode: macvtap, interface: eth0, macvtapMode: passthrough}\n";
    expect(nics("{network: nat1, vlan: 20}", nets)).toEqual([
      at(13, "interfaces[0].vlan", /a VLAN tag cannot be set on a NIC of network mode "nat"/),
    ]);
    expect(nics("{network: hd, vlan: 20}, {network: ovs, vlan: 21}, {network: mv, vlan: 22}", nets)).toEqual([]);
  });

  it("bandwidth peak below average", () => {
    expect(nics("{network: n1, bandwidth: {outbound: {average: 100, peak: 50}}}")).toEqual([
      at(8, "interfaces[0].bandwidth.outbound.peak", "peak (50) is below average (100)"),
    ]);
  });

  it("schema: values out of range and unknown fields", () => {
    expect(nics("{network: n1, vlan: 4095}")[0]).toMatch(/interfaces\[0\]\.vlan/);
    expect(nics("{network: n1, queues: 0}")[0]).toMatch(/interfaces\[0\]\.queues/);
    expect(nics("{network: n1, link: sideways}")[0]).toMatch(/interfaces\[0\]\.link/);
    expect(nics("{direct: eth0, macvtapMode: bogus}")[0]).toMatch(/interfaces\[0\]\.macvtapMode/);
  });
});
