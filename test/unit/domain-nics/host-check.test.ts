/**
 * The plan-stage NIC checks against a fake /sys/class/net and a fake libvirt: every problem
 * named with its field and the host; bridges, bonds and VLANs the bundle's host networking
 * creates count as existing; a network the bundle declares is read only when applying.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkNicsOnHost, declareGuestHostLinks, NicHostError } from "../../../kinds/domain/nics/host-check.js";
import type { InterfaceSpec } from "../../../kinds/domain/nics/schema.js";
import type { Hypervisor } from "../../../libvirt/index.js";
import { tinyDomainSpec } from "../../harness/specs.js";

const sys = mkdtempSync(join(tmpdir(), "vft-sysnet-"));
mkdirSync(join(sys, "br0", "bridge"), { recursive: true });
mkdirSync(join(sys, "eth0"), { recursive: true });
mkdirSync(join(sys, "vf0", "device", "physfn"), { recursive: true });
afterAll(() => rmSync(sys, { recursive: true, force: true }));

const NET_XML = `<network><name>n1</name><forward mode='nat'/><portgroup name='pg1'/></network>`;
let reads = 0;
const hv = {
  network: async (name: string) => {
    if (name !== "n1") throw Object.assign(new Error("not found"), { code: 43, domain: 19 });
    return { name };
  },
  networkXml: async () => {
    reads++;
    return NET_XML;
  },
} as unknown as Hypervisor;

mkdirSync(join(sys, "ovsbr0"), { recursive: true });
const isOpenvswitch = async (link: string) => link === "ovsbr0";
const check = (interfaces: InterfaceSpec[], applying = true) => {
  const spec = tinyDomainSpec("g", { interfaces });
  return {
    spec,
    run: () => checkNicsOnHost(spec, { hv, host: "host h1", applying, sysClassNet: sys, isOpenvswitch }),
  };
};

describe("NICs: plan-stage host checks", () => {
  it("passes what the host has", async () => {
    await expect(
      check([
        { bridge: "br0", model: "virtio", mac: "52:54:00:00:00:01" },
        { direct: "eth0", model: "virtio", mac: "52:54:00:00:00:02" },
        { direct: "vf0", macvtapMode: "passthrough", vlan: 5, model: "virtio", mac: "52:54:00:00:00:03" },
        { network: "n1", portgroup: "pg1", model: "virtio", mac: "52:54:00:00:00:04" },
        { bridge: "ovsbr0", vlan: 20, model: "virtio", mac: "52:54:00:00:00:05" },
      ]).run(),
    ).resolves.toBeUndefined();
  });

  it("names every problem, its field and the host", async () => {
    const err = await check([
      { bridge: "nobr", model: "virtio", mac: "52:54:00:00:00:01" },
      { bridge: "eth0", model: "virtio", mac: "52:54:00:00:00:02" },
      { direct: "noeth", model: "virtio", mac: "52:54:00:00:00:03" },
      { direct: "eth0", macvtapMode: "passthrough", vlan: 5, model: "virtio", mac: "52:54:00:00:00:04" },
      { network: "n1", portgroup: "pg9", model: "virtio", mac: "52:54:00:00:00:05" },
      { network: "n1", vlan: 7, model: "virtio", mac: "52:54:00:00:00:06" },
      { bridge: "br0", vlan: 20, model: "virtio", mac: "52:54:00:00:00:07" },
    ])
      .run()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NicHostError);
    expect((err as NicHostError).problems).toEqual([
      'interfaces[0].bridge: bridge "nobr" does not exist',
      'interfaces[1].bridge: "eth0" exists but is not a bridge (neither Linux nor Open vSwitch)',
      'interfaces[2].direct: host NIC "noeth" does not exist',
      'interfaces[3].vlan: host NIC "eth0" is not an SR-IOV virtual function (libvirt tags a direct NIC\'s VLAN only on one)',
      'interfaces[4].portgroup: network "n1" has no port group "pg9"',
      expect.stringMatching(/^interfaces\[5\]\.vlan: a VLAN tag cannot be set on a NIC of network mode "nat"/),
      expect.stringMatching(
        /^interfaces\[6\]\.vlan: a VLAN tag cannot be set on a NIC of a Linux bridge: .*\("br0"\)$/,
      ),
    ]);
    expect((err as Error).message).toContain("on host h1");
  });

  it("what the bundle's host networking creates counts as existing", async () => {
    const { spec, run } = check([
      { bridge: "newbr", model: "virtio", mac: "52:54:00:00:00:01" },
      { direct: "bond0", model: "virtio", mac: "52:54:00:00:00:02" },
    ]);
    await expect(run()).rejects.toThrow(NicHostError);
    declareGuestHostLinks(spec, { bridges: new Set(["newbr"]), links: new Set(["newbr", "bond0"]) });
    await expect(run()).resolves.toBeUndefined();
  });

  it("a network the bundle declares is read only when applying", async () => {
    const spec = tinyDomainSpec("g", {
      interfaces: [{ network: "n1", portgroup: "pg9", model: "virtio", mac: "52:54:00:00:00:01" }],
    });
    const declared = new Set(["network/n1"]);
    reads = 0;
    await expect(checkNicsOnHost(spec, { hv, declared, applying: false, sysClassNet: sys })).resolves.toBeUndefined();
    expect(reads).toBe(0);
    await expect(checkNicsOnHost(spec, { hv, declared, applying: true, sysClassNet: sys })).rejects.toThrow(/pg9/);
  });
});
