/**
 * The NICs area without libvirt: build → parse → diff per field, a second apply changes
 * nothing, one field changed is exactly one change with its class, MAC case canonical,
 * libvirt's defaults (no <link>, direct mode vepa) never drift, the resolver leaves unset
 * fields out (an old NIC keeps its spec hash), detach XML of the NIC's own type, and the
 * live update node (bandwidth and link replaced, the rest of the running NIC kept).
 */
import { describe, expect, it } from "vitest";
import { canonicalHash } from "../../../common/canonical-json.js";
import type { Disruption } from "../../../common/changes.js";
import { buildInterfaceDeviceXml, interfaceDetachXml, parseNics } from "../../../kinds/domain/nics/index.js";
import { liveInterfaceNode } from "../../../kinds/domain/nics/live.js";
import { resolveNics } from "../../../kinds/domain/nics/resolve.js";
import type { InterfaceSpec } from "../../../kinds/domain/nics/schema.js";
import type { DomainDocument, DomainSpec } from "../../../kinds/domain/spec.js";
import { buildDomainXml, diffDomain, parseDomainXml } from "../../../kinds/index.js";
import { parseXml } from "../../../kinds/libvirt-xml/xml-io.js";
import { tinyDomain, tinyDomainCtx } from "../xml/specs.js";

/** One NIC of each kind with every option it may have. */
function everyNic(): InterfaceSpec[] {
  return [
    {
      network: "n1",
      portgroup: "pg1",
      model: "virtio",
      mac: "52:54:00:AB:00:01",
      queues: 2,
      link: "up",
      bandwidth: { inbound: { average: 1000, peak: 2000, burst: 100 }, outbound: { average: 500 } },
      bootIndex: 1,
    },
    { bridge: "br0", model: "e1000", mac: "52:54:00:ab:00:02", link: "down", bootIndex: 2 },
    {
      direct: "eth9",
      macvtapMode: "bridge",
      model: "rtl8139",
      mac: "52:54:00:ab:00:03",
      bandwidth: { outbound: { average: 10 } },
    },
    { direct: "eth8", macvtapMode: "passthrough", model: "e1000e", mac: "52:54:00:ab:00:04", vlan: 20 },
  ];
}

const domain = (interfaces: InterfaceSpec[]): DomainSpec => ({ ...tinyDomain(), interfaces });
const readBack = (spec: DomainSpec) => parseDomainXml(buildDomainXml(spec, tinyDomainCtx()));

describe("NICs: build → parse → diff", () => {
  it("every NIC kind and option reads back and diffs to nothing (running and shut off)", () => {
    const spec = domain(everyNic());
    const parsed = readBack(spec);
    expect(parsed.interfaces).toEqual([
      {
        mac: "52:54:00:ab:00:01",
        type: "network",
        network: "n1",
        portgroup: "pg1",
        bridge: null,
        direct: null,
        macvtapMode: null,
        model: "virtio",
        vlanTags: [],
        vlanTrunk: false,
        inbound: { average: 1000, peak: 2000, burst: 100 },
        outbound: { average: 500, peak: null, burst: null },
        link: "up",
        bootIndex: 1,
        queues: 2,
      },
      expect.objectContaining({ type: "bridge", bridge: "br0", network: null, link: "down", bootIndex: 2 }),
      expect.objectContaining({ type: "direct", direct: "eth9", macvtapMode: "bridge", inbound: null }),
      expect.objectContaining({ type: "direct", direct: "eth8", macvtapMode: "passthrough", vlanTags: [20] }),
    ]);
    expect(diffDomain(spec, parsed, true)).toEqual([]);
    expect(diffDomain(spec, parsed, false)).toEqual([]);
  });

  it("the XML carries each element as libvirt documents it; queues without name='vhost'", () => {
    const xml = buildDomainXml(domain(everyNic()), tinyDomainCtx());
    expect(xml).toContain(`<source network="n1" portgroup="pg1"/>`);
    expect(xml).toContain(`<driver queues="2"/>`);
    expect(xml).toContain(`<inbound average="1000" peak="2000" burst="100"/>`);
    expect(xml).toContain(`<link state="down"/>`);
    expect(xml).toContain(`<boot order="2"/>`);
    expect(xml).toContain(`<source bridge="br0"/>`);
    expect(xml).toContain(`<source dev="eth9" mode="bridge"/>`);
    expect(xml).toMatch(/<vlan>\s*<tag id="20"\/>\s*<\/vlan>/);
    expect(xml).not.toContain("vhost");
  });

  it("a bridge NIC with a VLAN tag is an Open vSwitch port; libvirt's interfaceid is not drift", () => {
    const spec = {
      ...tinyDomain(),
      interfaces: [{ bridge: "ovsbr0", vlan: 20, model: "virtio", mac: "52:54:00:ab:00:09" }],
    };
    const xml = buildDomainXml(spec as DomainSpec, tinyDomainCtx());
    expect(xml).toContain(`<virtualport type="openvswitch"`);
    const stored = xml.replace(
      /<virtualport type="openvswitch"\s*\/>/,
      `<virtualport type='openvswitch'><parameters interfaceid='0b1e2d1c-4f5a-4c3b-9d8e-7f6a5b4c3d2e'/></virtualport>`,
    );
    expect(stored).toContain("interfaceid");
    expect(diffDomain(spec as DomainSpec, parseDomainXml(stored), true)).toEqual([]);
  });

  it("libvirt's defaults are not drift: no <link> is up, a direct NIC without mode is vepa, MAC case", () => {
    const spec = domain([
      { network: "n1", model: "virtio", mac: "52:54:00:AB:00:01", link: "up" },
      { direct: "eth9", model: "virtio", mac: "52:54:00:ab:00:03" },
    ]);
    const xml = buildDomainXml(spec, tinyDomainCtx())
      .replace(`<link state="up"/>`, "")
      .replace(`<source dev="eth9"/>`, `<source dev="eth9" mode="vepa"/>`);
    const parsed = parseDomainXml(xml);
    expect(parsed.interfaces[1]?.macvtapMode).toBe("vepa");
    expect(diffDomain(spec, parsed, true)).toEqual([]);
    const explicit = domain([spec.interfaces[0]!, { ...spec.interfaces[1]!, macvtapMode: "vepa" }]);
    expect(diffDomain(explicit, parsed, true)).toEqual([]);
  });

  const base = everyNic();
  const cases: [string, (n: InterfaceSpec[]) => void, string, unknown, unknown, Disruption][] = [
    ["network", (n) => (n[0]!.network = "n2"), "interfaces[0].network", "n1", "n2", "restart"],
    ["portgroup", (n) => (n[0]!.portgroup = "pg2"), "interfaces[0].portgroup", "pg1", "pg2", "restart"],
    ["portgroup dropped", (n) => delete n[0]!.portgroup, "interfaces[0].portgroup", "pg1", null, "restart"],
    ["model", (n) => (n[1]!.model = "e1000e"), "interfaces[1].model", "e1000", "e1000e", "restart"],
    ["queues", (n) => (n[0]!.queues = 4), "interfaces[0].queues", 2, 4, "restart"],
    ["bootIndex", (n) => (n[0]!.bootIndex = 5), "interfaces[0].bootIndex", 1, 5, "restart"],
    ["link", (n) => (n[0]!.link = "down"), "interfaces[0].link", "up", "down", "live"],
    ["link dropped (up)", (n) => delete n[1]!.link, "interfaces[1].link", "down", "up", "live"],
    [
      "bandwidth",
      (n) => (n[0]!.bandwidth = { inbound: { average: 1000, peak: 2000, burst: 100 }, outbound: { average: 600 } }),
      "interfaces[0].bandwidth",
      {
        inbound: { average: 1000, peak: 2000, burst: 100 },
        outbound: { average: 500, peak: null, burst: null },
      },
      {
        inbound: { average: 1000, peak: 2000, burst: 100 },
        outbound: { average: 600, peak: null, burst: null },
      },
      "live",
    ],
    [
      "bandwidth dropped",
      (n) => delete n[2]!.bandwidth,
      "interfaces[2].bandwidth",
      { inbound: null, outbound: { average: 10, peak: null, burst: null } },
      null,
      "live",
    ],
    ["bridge", (n) => (n[1]!.bridge = "br1"), "interfaces[1].bridge", "br0", "br1", "restart"],
    ["direct", (n) => (n[2]!.direct = "eth7"), "interfaces[2].direct", "eth9", "eth7", "restart"],
    [
      "macvtapMode",
      (n) => (n[2]!.macvtapMode = "private"),
      "interfaces[2].macvtapMode",
      "bridge",
      "private",
      "restart",
    ],
    ["vlan", (n) => (n[3]!.vlan = 30), "interfaces[3].vlan", 20, 30, "restart"],
    ["vlan dropped", (n) => delete n[3]!.vlan, "interfaces[3].vlan", 20, null, "restart"],
    [
      "source kind (bridge → network)",
      (n) => {
        delete n[1]!.bridge;
        n[1]!.network = "n1";
      },
      "interfaces[1].network",
      "bridge:br0",
      "n1",
      "restart",
    ],
  ];
  for (const [what, change, field, from, to, disruption] of cases) {
    it(`one field changed → one change: ${what} (${disruption} when running, live when shut off)`, () => {
      const parsed = readBack(domain(base));
      const nics = structuredClone(base);
      change(nics);
      expect(diffDomain(domain(nics), parsed, true)).toEqual([{ field, from, to, disruption }]);
      expect(diffDomain(domain(nics), parsed, false)).toEqual([{ field, from, to, disruption: "live" }]);
      // After the change is applied (redefined), nothing is left.
      expect(diffDomain(domain(nics), readBack(domain(nics)), true)).toEqual([]);
    });
  }

  it("adding and removing a bridge or direct NIC is live; the removal carries what detaching needs", () => {
    const parsed = readBack(domain(base));
    expect(
      diffDomain(domain([...base, { bridge: "br5", model: "virtio", mac: "52:54:00:ab:00:09" }]), parsed, true),
    ).toEqual([
      {
        field: "interfaces[4]",
        from: null,
        to: { bridge: "br5", model: "virtio", mac: "52:54:00:ab:00:09" },
        disruption: "live",
      },
    ]);
    expect(diffDomain(domain([base[0]!, base[2]!, base[3]!]), parsed, true)).toEqual([
      {
        field: "interfaces[52:54:00:ab:00:02]",
        from: { bridge: "br0", model: "e1000", mac: "52:54:00:ab:00:02" },
        to: null,
        disruption: "live",
      },
    ]);
  });
});

describe("NICs: hot-plug XML", () => {
  it("is the definition's NIC without <boot order> (libvirt refuses it on a guest booting by <os><boot>)", () => {
    const spec = domain(everyNic());
    const xml = buildInterfaceDeviceXml(spec, 1);
    expect(xml).not.toContain("<boot");
    const { bootIndex: _b, ...rest } = readBack(spec).interfaces[1]!;
    expect(parseNics(parseXml(`<devices>${xml}</devices>`, "devices")).interfaces[0]).toEqual({
      ...rest,
      bootIndex: null,
    });
  });
});

describe("NICs: detach XML of the NIC's type", () => {
  const nic = (xml: string) => parseNics(parseXml(`<devices>${xml}</devices>`, "devices")).interfaces[0];
  it("bridge, direct and network NICs", () => {
    expect(nic(interfaceDetachXml({ mac: "52:54:00:AB:00:02", bridge: "br0" }))).toMatchObject({
      type: "bridge",
      bridge: "br0",
      mac: "52:54:00:ab:00:02",
    });
    expect(nic(interfaceDetachXml({ mac: "52:54:00:ab:00:03", direct: "eth9" }))).toMatchObject({
      type: "direct",
      direct: "eth9",
    });
    expect(nic(interfaceDetachXml({ mac: "52:54:00:ab:00:01", network: "n1" }))).toMatchObject({
      type: "network",
      network: "n1",
    });
    expect(nic(interfaceDetachXml({ mac: "52:54:00:ab:00:05", type: "user", network: null }))).toMatchObject({
      type: "user",
    });
  });
});

describe("NICs: the live update node", () => {
  it("replaces bandwidth and link and keeps the running NIC's own elements", () => {
    const running = parseXml(
      `<interface type='network'><mac address='52:54:00:ab:00:01'/><source network='n1' portgroup='pg1' portid='x' bridge='virbr9'/>
       <target dev='vnet7'/><model type='virtio'/><driver queues='2'/><link state='down'/>
       <bandwidth><inbound average='1'/></bandwidth><alias name='net0'/></interface>`,
      "interface",
    );
    const spec = domain(everyNic());
    const out = liveInterfaceNode(running, spec, 0);
    expect(out.target).toEqual({ "@_dev": "vnet7" });
    expect(out.alias).toEqual({ "@_name": "net0" });
    expect(out.link).toEqual({ "@_state": "up" });
    expect(out.bandwidth).toEqual({
      inbound: { "@_average": "1000", "@_peak": "2000", "@_burst": "100" },
      outbound: { "@_average": "500" },
    });
    const none = liveInterfaceNode(running, domain([{ network: "n1", model: "virtio", mac: "52:54:00:ab:00:01" }]), 0);
    expect(none.bandwidth).toBeUndefined();
    expect(none.link).toEqual({ "@_state": "up" });
  });
});

describe("NICs: the resolver", () => {
  const doc = (interfaces: DomainDocument["interfaces"]): DomainDocument => ({
    name: "g",
    vcpus: 1,
    memory: "64MiB",
    interfaces,
  });
  it("a NIC written as before resolves as before (same spec hash): unset fields are left out", () => {
    const [nic] = resolveNics(doc([{ network: "n1" }])).interfaces;
    expect(Object.keys(nic!).sort()).toEqual(["mac", "model", "network"]);
    expect(canonicalHash(nic)).toBe(canonicalHash({ network: "n1", model: "virtio", mac: nic!.mac }));
  });
  it("every field the policy sets is carried; MAC lower-cased; an empty bandwidth is none", () => {
    const [a, b] = resolveNics(
      doc([
        {
          bridge: "br0",
          mac: "52:54:00:AB:CD:EF",
          vlan: 3,
          link: "down",
          bootIndex: 2,
          queues: 4,
          bandwidth: { inbound: { average: 5 } },
        },
        { direct: "eth0", macvtapMode: "private", bandwidth: {} },
      ]),
    ).interfaces;
    expect(a).toEqual({
      bridge: "br0",
      model: "virtio",
      mac: "52:54:00:ab:cd:ef",
      vlan: 3,
      link: "down",
      bootIndex: 2,
      queues: 4,
      bandwidth: { inbound: { average: 5 } },
    });
    expect(b).toEqual({ direct: "eth0", macvtapMode: "private", model: "virtio", mac: b!.mac });
  });
});
