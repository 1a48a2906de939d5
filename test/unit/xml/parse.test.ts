import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../../common/errors.js";
import {
  machineMatches,
  parseDomainXml,
  parseNetworkXml,
  parseVirtfleetMetadata,
  parseVolumeXml,
  targetNames,
} from "../../../kinds/index.js";

describe("machine aliases", () => {
  it.each([
    [null, "pc-q35-7.2", true],
    [null, null, true],
    ["q35", "pc-q35-7.2", true],
    ["q35", "pc-q35-5.2", true],
    ["q35", "pc-i440fx-7.2", false],
    ["q35", "pc-q35", false],
    ["q35", null, false],
    ["pc", "pc-i440fx-7.2", true],
    ["pc", "pc-q35-7.2", false],
    ["pc-q35-7.2", "pc-q35-7.2", true],
    ["pc-q35-7.2", "pc-q35-7.1", false],
    ["pc-q35-7", "pc-q35-7.2", false],
    ["virt", "virt-7.2", false],
  ])("desired %s vs stored %s → %s", (desired, actual, expected) => {
    expect(machineMatches(desired, actual)).toBe(expected);
  });
});

describe("target names", () => {
  it("virtio disks vdX; sata/scsi disks then cdroms share sdX; aa after z", () => {
    const disks = Array.from({ length: 28 }, (_, i) => ({
      pool: "p",
      volume: `v${i}`,
      bus: i === 1 ? ("sata" as const) : ("virtio" as const),
    }));
    const names = targetNames({ disks, cdroms: [{ path: "/a.iso" }] });
    expect(names.disks.slice(0, 3)).toEqual(["vda", "sda", "vdb"]);
    expect(names.disks.slice(-2)).toEqual(["vdz", "vdaa"]);
    expect(names.cdroms).toEqual(["sdb"]);
  });
});

describe("parsing details", () => {
  const dom = (inner: string, attrs = "type='kvm'") =>
    `<domain ${attrs}><name>d</name><memory unit='MiB'>64</memory>${inner}</domain>`;

  it("memory units and a missing currentMemory", () => {
    expect(parseDomainXml(dom("")).memoryBytes).toBe(64 * 1024 * 1024);
    expect(parseDomainXml(dom("")).currentMemoryBytes).toBe(64 * 1024 * 1024);
    expect(
      parseDomainXml(
        `<domain type='kvm'><name>d</name><memory>1024</memory><currentMemory unit='G'>1</currentMemory></domain>`,
      ),
    ).toMatchObject({
      memoryBytes: 1024 * 1024,
      currentMemoryBytes: 1024 ** 3,
    });
    expect(parseDomainXml(`<domain><name>d</name><memory unit='KB'>1000</memory></domain>`).memoryBytes).toBe(
      1_000_000,
    );
  });

  it("vcpu current vs maximum", () => {
    expect(parseDomainXml(dom("<vcpu placement='static' current='1'>4</vcpu>"))).toMatchObject({
      vcpus: 1,
      maxVcpus: 4,
    });
  });

  it("a <cpu> without mode is custom; no <cpu> is null", () => {
    expect(parseDomainXml(dom("<cpu><model>Skylake</model></cpu>")).cpu).toBe("custom");
    expect(parseDomainXml(dom("")).cpu).toBeNull();
  });

  it("file, block and volume disks; bridge NICs; vnc listen in <listen>", () => {
    const p = parseDomainXml(
      dom(`<devices>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
      <disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vdb' bus='virtio'/></disk>
      <disk type='file' device='floppy'><target dev='fda'/></disk>
      <interface type='bridge'><mac address='52:54:00:AB:CD:EF'/><source bridge='br0'/></interface>
      <graphics type='vnc' port='-1'><listen type='address' address='0.0.0.0'/></graphics>
    </devices>`),
    );
    expect(p.disks).toMatchObject([
      { target: "vda", bus: "virtio", pool: null, volume: null, path: "/a.qcow2", format: "qcow2" },
      { target: "vdb", bus: "virtio", pool: null, volume: null, path: "/dev/sdz", format: null },
    ]);
    expect(p.interfaces).toMatchObject([{ mac: "52:54:00:ab:cd:ef", type: "bridge", bridge: "br0", model: null }]);
    expect(p.graphics).toEqual([{ type: "vnc", listen: "0.0.0.0" }]);
  });

  it("metadata under another prefix or none at all", () => {
    const other = dom(
      `<metadata><x:virtfleet xmlns:x="https://virtfleet.dev/xmlns/1"><x:specHash>abc</x:specHash></x:virtfleet><y:virtfleet xmlns:y="urn:other"><y:specHash>no</y:specHash></y:virtfleet></metadata>`,
    );
    expect(parseVirtfleetMetadata(other)).toEqual({ specHash: "abc", policy: null });
    expect(parseDomainXml(other).specHash).toBe("abc");
    const foreign = dom(
      `<metadata><y:virtfleet xmlns:y="urn:other"><y:specHash>no</y:specHash></y:virtfleet></metadata>`,
    );
    expect(parseVirtfleetMetadata(foreign)).toBeNull();
    expect(parseVirtfleetMetadata(dom(""))).toBeNull();
    expect(parseVirtfleetMetadata(dom("<metadata/>"))).toBeNull();
  });

  it("network: no <forward> is isolated, <forward> without mode is nat, netmask instead of prefix", () => {
    expect(parseNetworkXml("<network><name>n</name></network>")).toMatchObject({
      mode: "isolated",
      ipv4: null,
      bridge: null,
      mtu: null,
    });
    const n = parseNetworkXml(
      "<network><name>n</name><forward/><ip family='ipv6' address='fd00::1' prefix='64'/><ip address='10.1.0.1' netmask='255.255.252.0'/></network>",
    );
    expect(n.mode).toBe("nat");
    expect(n.ipv4).toEqual({ address: "10.1.0.1", prefix: 22, dhcp: null });
  });

  it("volume capacity with a unit", () => {
    expect(
      parseVolumeXml(
        "<volume><name>v</name><capacity unit='GiB'>2</capacity><target><format type='raw'/></target></volume>",
      ),
    ).toMatchObject({ capacityBytes: 2 * 1024 ** 3, format: "raw", backingPath: null });
  });

  it("broken XML is a ProtocolError", () => {
    expect(() => parseDomainXml("<network><name>n</name></network>")).toThrow(ProtocolError);
    expect(() => parseDomainXml("<domain><memory>1</memory></domain>")).toThrow(/no <name>/);
    expect(() => parseDomainXml("<domain><name>d</name></domain>")).toThrow(/no <memory>/);
    expect(() => parseDomainXml(dom("<vcpu>two</vcpu>"))).toThrow(/not an integer/);
    expect(() => parseDomainXml("<domain><name>d</name><memory unit='furlong'>1</memory></domain>")).toThrow(
      /unknown unit/,
    );
    expect(() => parseVolumeXml("<volume><name>v</name></volume>")).toThrow(/no <capacity>/);
  });
});
