import { describe, expect, it } from "vitest";
import { buildDomainXml, diffDomain, domainSpecHash, parseDomainXml, type ParsedDomain } from "../../../kinds/index.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import { fixture } from "./fixtures.js";
import * as S from "./specs.js";

/** The full domain as libvirt stored it. */
const stored = (): ParsedDomain => parseDomainXml(fixture("domain-full.xml"));
const withSpec = (patch: Partial<DomainSpec>): DomainSpec => ({ ...S.fullDomain(), ...patch });

describe("diffDomain: one changed field → exactly that field, with its disruption", () => {
  it.each<[string, Partial<DomainSpec>, string, unknown, unknown]>([
    ["vcpus", { vcpus: 3 }, "vcpus", 2, 3],
    ["memory", { memoryBytes: 128 * 1024 * 1024 }, "memory", 96 * 1024 * 1024, 128 * 1024 * 1024],
    ["cpu", { cpu: "host-passthrough" }, "cpu", "host-model", "host-passthrough"],
    ["machine", { machine: "pc" }, "machine", "pc-q35-7.2", "pc"],
    ["graphics", { graphics: "none" }, "graphics", "vnc", "none"],
  ])("%s on a running guest is restart", (_, patch, field, from, to) => {
    expect(diffDomain(withSpec(patch), stored(), true)).toEqual([{ field, from, to, disruption: "restart" }]);
  });

  it("the same changes on a shut-off guest are live (the definition is all there is)", () => {
    const changes = diffDomain(
      withSpec({ vcpus: 3, memoryBytes: 128 * 1024 * 1024, cpu: "host-passthrough", machine: "pc", graphics: "none" }),
      stored(),
      false,
    );
    expect(changes.map((c) => c.field)).toEqual(["vcpus", "memory", "cpu", "machine", "graphics"]);
    expect(new Set(changes.map((c) => c.disruption))).toEqual(new Set(["live"]));
  });

  it("a different UUID is recreate, running or not", () => {
    for (const running of [true, false]) {
      expect(diffDomain(S.fullDomain(), stored(), running, { uuid: "00000000-0000-0000-0000-000000000001" })).toEqual([
        {
          field: "uuid",
          from: "e5570718-2b54-4544-91be-17537b731405",
          to: "00000000-0000-0000-0000-000000000001",
          disruption: "recreate",
        },
      ]);
    }
    expect(diffDomain(S.fullDomain(), stored(), true, { uuid: "E5570718-2B54-4544-91BE-17537B731405" })).toEqual([]);
  });

  it("machine null in the spec accepts whatever libvirt chose", () => {
    expect(diffDomain(withSpec({ machine: null }), stored(), true)).toEqual([]);
    expect(diffDomain(withSpec({ machine: "pc-q35-7.2" }), stored(), true)).toEqual([]);
  });

  it("domain type and spec hash are compared only when given", () => {
    expect(diffDomain(S.fullDomain(), stored(), true, { domainType: "qemu" })).toEqual([
      { field: "domainType", from: "kvm", to: "qemu", disruption: "restart" },
    ]);
    expect(diffDomain(S.fullDomain(), stored(), true, { specHash: "abc" })).toEqual([
      { field: "metadata.specHash", from: "0".repeat(63) + "1", to: "abc", disruption: "live" },
    ]);
  });

  it("vcpus/memory set apart from their maxima (out-of-band) count as drift of the one field", () => {
    const p = stored();
    expect(diffDomain(S.fullDomain(), { ...p, vcpus: 1 }, true)).toEqual([
      { field: "vcpus", from: { current: 1, max: 2 }, to: 2, disruption: "restart" },
    ]);
    expect(diffDomain(S.fullDomain(), { ...p, currentMemoryBytes: 64 * 1024 * 1024 }, true)).toEqual([
      {
        field: "memory",
        from: { max: 96 * 1024 * 1024, current: 64 * 1024 * 1024 },
        to: 96 * 1024 * 1024,
        disruption: "restart",
      },
    ]);
  });

  it("graphics drift: vnc on all addresses, spice, or an extra device", () => {
    const p = stored();
    expect(diffDomain(S.fullDomain(), { ...p, graphics: [{ type: "vnc", listen: "0.0.0.0" }] }, true)).toEqual([
      { field: "graphics", from: "vnc@0.0.0.0", to: "vnc", disruption: "restart" },
    ]);
    expect(
      diffDomain(withSpec({ graphics: "none" }), { ...p, graphics: [{ type: "spice", listen: null }] }, true)[0]!.from,
    ).toBe("spice");
    expect(
      diffDomain(S.fullDomain(), { ...p, graphics: [...p.graphics, { type: "vnc", listen: "127.0.0.1" }] }, true)[0]!
        .from,
    ).toBe("vnc,vnc");
  });
});

describe("diffDomain: NICs (matched by MAC)", () => {
  const two = S.fullDomain().interfaces;
  it("model and network of an existing NIC are restart", () => {
    expect(diffDomain(withSpec({ interfaces: [two[0]!, { ...two[1]!, model: "virtio" }] }), stored(), true)).toEqual([
      { field: "interfaces[1].model", from: "e1000", to: "virtio", disruption: "restart" },
    ]);
    expect(diffDomain(withSpec({ interfaces: [{ ...two[0]!, network: "other" }, two[1]!] }), stored(), true)).toEqual([
      { field: "interfaces[0].network", from: "vft-fixture-nat", to: "other", disruption: "restart" },
    ]);
  });

  it("adding a NIC is live (attach-device)", () => {
    const nic = { network: "vft-fixture-nat", model: "virtio" as const, mac: "52:54:00:AA:10:03" };
    expect(diffDomain(withSpec({ interfaces: [...two, nic] }), stored(), true)).toEqual([
      {
        field: "interfaces[2]",
        from: null,
        to: { network: "vft-fixture-nat", model: "virtio", mac: "52:54:00:aa:10:03" },
        disruption: "live",
      },
    ]);
  });

  it("removing a NIC is live (detach-device), named by its MAC", () => {
    expect(diffDomain(withSpec({ interfaces: [two[0]!] }), stored(), true)).toEqual([
      {
        field: "interfaces[52:54:00:aa:10:02]",
        from: { network: "vft-fixture-nat", model: "e1000", mac: "52:54:00:aa:10:02" },
        to: null,
        disruption: "live",
      },
    ]);
  });

  it("NIC order and MAC case do not matter", () => {
    expect(
      diffDomain(withSpec({ interfaces: [{ ...two[1]!, mac: two[1]!.mac.toUpperCase() }, two[0]!] }), stored(), true),
    ).toEqual([]);
  });

  it("a NIC turned into a bridge NIC out of band is a network change", () => {
    const p = stored();
    p.interfaces[0] = { ...p.interfaces[0]!, type: "bridge", network: "br0" };
    expect(diffDomain(S.fullDomain(), p, true)).toEqual([
      { field: "interfaces[0].network", from: "bridge:br0", to: "vft-fixture-nat", disruption: "restart" },
    ]);
  });
});

describe("diffDomain: disks and cdroms (matched by target)", () => {
  const disks = S.fullDomain().disks;
  it("adding a virtio disk is live; adding a sata disk is restart", () => {
    const add = diffDomain(
      withSpec({ disks: [...disks, { pool: "p", volume: "new", bus: "virtio" }] }),
      stored(),
      true,
    );
    expect(add).toEqual([
      { field: "disks[3]", from: null, to: { pool: "p", volume: "new", bus: "virtio" }, disruption: "live" },
    ]);
    const sata = diffDomain(withSpec({ disks: [...disks, { pool: "p", volume: "new", bus: "sata" }] }), stored(), true);
    // the new sata disk takes sdb, which the first cdrom had: cdroms still match by position
    expect(sata).toEqual([
      { field: "disks[3]", from: null, to: { pool: "p", volume: "new", bus: "sata" }, disruption: "restart" },
    ]);
    const p = stored();
    const shifted = parseDomainXml(
      buildDomainXml(withSpec({ disks: [...disks, { pool: "vft-fixture-pool", volume: "new", bus: "sata" }] }), {
        ...S.fullDomainCtx(),
        diskPaths: new Map([...S.fullDomainCtx().diskPaths, ["vft-fixture-pool/new", { path: "/n", format: "raw" }]]),
      }),
    );
    expect(shifted.cdroms.map((c) => c.target)).toEqual(["sdc", "sdd"]);
    expect(diffDomain(S.fullDomain(), shifted, true)).toEqual([
      {
        field: "disks[sdb]",
        from: { pool: "vft-fixture-pool", volume: "new", bus: "sata" },
        to: null,
        disruption: "restart",
      },
    ]);
    expect(p.cdroms.length).toBe(2);
  });

  it("removing a virtio disk is live, named by its target", () => {
    expect(diffDomain(withSpec({ disks: [disks[0]!, disks[1]!] }), stored(), true)).toEqual([
      {
        field: "disks[vdb]",
        from: { pool: "vft-fixture-pool", volume: "base.qcow2", bus: "virtio" },
        to: null,
        disruption: "live",
      },
    ]);
  });

  it("a changed source or bus of an existing disk is restart", () => {
    expect(
      diffDomain(withSpec({ disks: [{ ...disks[0]!, volume: "other.qcow2" }, disks[1]!, disks[2]!] }), stored(), true),
    ).toEqual([
      {
        field: "disks[0]",
        from: { pool: "vft-fixture-pool", volume: "over.qcow2", bus: "virtio" },
        to: { pool: "vft-fixture-pool", volume: "other.qcow2", bus: "virtio" },
        disruption: "restart",
      },
    ]);
    expect(
      diffDomain(withSpec({ disks: [disks[0]!, { ...disks[1]!, bus: "scsi" }, disks[2]!] }), stored(), true).map(
        (c) => c.field,
      ),
    ).toEqual(["disks[1]"]);
  });

  it("with diskPaths: a file disk at the volume's path matches; a different driver format does not", () => {
    const p = stored();
    p.disks[0] = { ...p.disks[0]!, pool: null, volume: null, path: `${S.FIXTURE_POOL_PATH}/over.qcow2` };
    const diskPaths = S.fullDomainCtx().diskPaths;
    expect(diffDomain(S.fullDomain(), p, true, { diskPaths })).toEqual([]);
    expect(diffDomain(S.fullDomain(), p, true).map((c) => c.field)).toEqual(["disks[0]"]);
    p.disks[0] = { ...p.disks[0]!, format: "raw" };
    expect(diffDomain(S.fullDomain(), p, true, { diskPaths }).map((c) => c.field)).toEqual(["disks[0]"]);
  });

  it("a new cdrom medium is live (update-device); adding or removing a cdrom is restart", () => {
    const cd = S.fullDomain().cdroms;
    expect(diffDomain(withSpec({ cdroms: [{ path: "/other.iso" }, cd[1]!] }), stored(), true)).toEqual([
      {
        field: "cdroms[0]",
        from: { path: "/var/lib/libvirt/images/vft-fixture.iso", bus: "sata" },
        to: { path: "/other.iso" },
        disruption: "live",
      },
    ]);
    expect(diffDomain(withSpec({ cdroms: [cd[0]!] }), stored(), true)).toEqual([
      {
        field: "cdroms[sdc]",
        from: { pool: "vft-fixture-pool", volume: "seed.iso", bus: "sata" },
        to: null,
        disruption: "restart",
      },
    ]);
    expect(diffDomain(withSpec({ cdroms: [...cd, { path: "/x.iso" }] }), stored(), true)).toEqual([
      { field: "cdroms[2]", from: null, to: { path: "/x.iso" }, disruption: "restart" },
    ]);
  });

  it("everything is live on a shut-off guest", () => {
    const changes = diffDomain(withSpec({ disks: [disks[0]!], cdroms: [], interfaces: [] }), stored(), false);
    expect(changes.length).toBe(6);
    expect(changes.every((c) => c.disruption === "live")).toBe(true);
  });
});

describe("redefining keeps identity", () => {
  it("a rebuilt definition with the stored UUID diffs to nothing against the stored XML", () => {
    const p = stored();
    const rebuilt = parseDomainXml(buildDomainXml(S.fullDomain(), { ...S.fullDomainCtx(), uuid: p.uuid! }));
    expect(rebuilt.uuid).toBe(p.uuid);
    expect(diffDomain(S.fullDomain(), rebuilt, true, { uuid: p.uuid! })).toEqual([]);
  });
});

describe("the domain's description (libvirt's <description>)", () => {
  const build = (spec: DomainSpec, keepDescription?: string | null) =>
    buildDomainXml(spec, { ...S.fullDomainCtx(), keepDescription });

  it("is written, read back, and a change is live whether the guest runs or not", () => {
    const parsed = parseDomainXml(build(withSpec({ description: "db primary <eu> & co" })));
    expect(parsed.description).toBe("db primary <eu> & co");
    expect(diffDomain(withSpec({ description: "db primary <eu> & co" }), parsed, true)).toEqual([]);
    for (const running of [true, false])
      expect(diffDomain(withSpec({ description: "replica" }), parsed, running)).toEqual([
        { field: "description", from: "db primary <eu> & co", to: "replica", disruption: "live" },
      ]);
    expect(diffDomain(withSpec({ description: "" }), parsed, true)).toEqual([
      { field: "description", from: "db primary <eu> & co", to: "", disruption: "live" },
    ]);
  });

  it("not managed when the spec has none: never a difference, and a redefinition keeps the guest's own", () => {
    const spec = withSpec({});
    delete spec.description;
    const operatorWrote = parseDomainXml(build(withSpec({ description: "written by hand" })));
    expect(diffDomain(spec, operatorWrote, true)).toEqual([]);
    expect(parseDomainXml(build(spec, operatorWrote.description)).description).toBe("written by hand");
    expect(parseDomainXml(build(spec)).description).toBeNull();
  });

  it("is not part of the spec hash (a guest's hash does not change with it, and a change needs no restart)", () => {
    const spec = withSpec({});
    delete spec.description;
    expect(domainSpecHash(withSpec({ description: "anything" }))).toBe(domainSpecHash(spec));
  });
});
