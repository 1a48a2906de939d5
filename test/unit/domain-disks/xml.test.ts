/**
 * The disks area's XML, field by field: what the builder writes parses back to the spec
 * (second apply: no change); changing one field is exactly one change with its class on a
 * running guest (and `live` on a shut-off one).
 */
import { describe, expect, it } from "vitest";
import { buildDomainXml, diffDomain, parseDomainXml, type DomainBuildContext } from "../../../kinds/index.js";
import { buildDiskDeviceXml, parseDisks } from "../../../kinds/domain/disks/index.js";
import { parseXml } from "../../../kinds/libvirt-xml/xml-io.js";
import type { DiskSpec } from "../../../kinds/domain/disks/schema.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import * as S from "../xml/specs.js";
import { rootDiskOptions } from "./specs.js";

const volumeDisk = (): DiskSpec => ({
  pool: "p",
  volume: "root.qcow2",
  bus: "virtio",
  ...rootDiskOptions("WEB01-ROOT"),
});
const fileDisk = (): DiskSpec => ({ file: "/srv/data.qcow2", format: "qcow2", bus: "scsi", cache: "writeback" });
const deviceDisk = (): DiskSpec => ({
  device: "/dev/sdz",
  bus: "sata",
  io: "io_uring",
  readonly: true,
  shareable: true,
  iotune: { readIopsSec: 10, writeBytesSec: 1000 },
});

const spec = (disks: DiskSpec[] = [volumeDisk(), fileDisk(), deviceDisk()]): DomainSpec => ({
  ...S.tinyDomain(),
  disks,
});
const ctx = (): DomainBuildContext => ({
  ...S.tinyDomainCtx(),
  diskPaths: new Map([["p/root.qcow2", { path: "/pool/root.qcow2", format: "qcow2" }]]),
});
const stored = () => parseDomainXml(buildDomainXml(spec(), ctx()));
const diff = (disks: DiskSpec[], running = true) =>
  diffDomain(spec(disks), stored(), running, { diskPaths: ctx().diskPaths });
const withDisk = (i: number, patch: Record<string, unknown>): DiskSpec[] =>
  spec().disks.map((d, j) => (j === i ? ({ ...d, ...patch } as DiskSpec) : d));

describe("disks: build → parse → diff", () => {
  it("every variant and option reads back as written: no change", () => {
    const p = stored();
    expect(p.disks).toMatchObject([
      {
        target: "vda",
        type: "volume",
        pool: "p",
        volume: "root.qcow2",
        format: "qcow2",
        ...rootDiskOptions("WEB01-ROOT"),
      },
      { target: "sda", type: "file", path: "/srv/data.qcow2", format: "qcow2", bus: "scsi", cache: "writeback" },
      { target: "sdb", type: "block", path: "/dev/sdz", format: "raw", bus: "sata", readonly: true, shareable: true },
    ]);
    expect(p.scsiControllers).toEqual([{ index: 0, model: "virtio-scsi" }]);
    expect(diff(spec().disks)).toEqual([]);
  });

  it("a scsi controller is written only when a disk is on the scsi bus", () => {
    expect(buildDomainXml(spec([volumeDisk()]), ctx())).not.toContain("<controller");
    expect(buildDomainXml(spec(), ctx())).toContain('<controller type="scsi" index="0" model="virtio-scsi"');
  });

  it.each<[string, number, Record<string, unknown>, string, unknown, unknown]>([
    ["cache", 0, { cache: "writethrough" }, "disks[0].cache", "none", "writethrough"],
    ["cache removed", 1, { cache: undefined }, "disks[1].cache", "writeback", null],
    ["io", 0, { io: "threads" }, "disks[0].io", "native", "threads"],
    ["discard", 0, { discard: "ignore" }, "disks[0].discard", "unmap", "ignore"],
    ["detectZeroes", 0, { detectZeroes: "on" }, "disks[0].detectZeroes", "unmap", "on"],
    ["serial", 0, { serial: "OTHER" }, "disks[0].serial", "WEB01-ROOT", "OTHER"],
    ["readonly", 0, { readonly: true }, "disks[0].readonly", false, true],
    ["shareable", 2, { shareable: false }, "disks[2].shareable", true, false],
    ["bootIndex", 0, { bootIndex: 3 }, "disks[0].bootIndex", 1, 3],
    ["bootIndex removed", 0, { bootIndex: undefined }, "disks[0].bootIndex", 1, null],
  ])("%s: one restart change", (_, i, patch, field, from, to) => {
    expect(diff(withDisk(i, patch))).toEqual([{ field, from, to, disruption: "restart" }]);
    expect(diff(withDisk(i, patch), false)).toEqual([{ field, from, to, disruption: "live" }]);
  });

  it("iotune: one live change (changed, removed, added); zero limits equal absent ones", () => {
    expect(diff(withDisk(0, { iotune: { totalIopsSec: 500 } }))).toEqual([
      {
        field: "disks[0].iotune",
        from: { totalIopsSec: 2000, totalBytesSec: 104857600 },
        to: { totalIopsSec: 500 },
        disruption: "live",
      },
    ]);
    expect(diff(withDisk(2, { iotune: undefined }))).toEqual([
      { field: "disks[2].iotune", from: { readIopsSec: 10, writeBytesSec: 1000 }, to: {}, disruption: "live" },
    ]);
    expect(diff(withDisk(1, { iotune: { writeIopsSec: 7 } }))).toEqual([
      { field: "disks[1].iotune", from: {}, to: { writeIopsSec: 7 }, disruption: "live" },
    ]);
    expect(diff(withDisk(2, { iotune: { readIopsSec: 10, writeBytesSec: 1000, totalIopsSec: 0 } }))).toEqual([]);
    expect(diff(withDisk(1, { iotune: {} }))).toEqual([]);
  });

  it("a file disk's path or format, a device's path, a source's kind: one restart change of the disk", () => {
    expect(diff(withDisk(1, { file: "/srv/other.qcow2" }))).toEqual([
      {
        field: "disks[1]",
        from: { file: "/srv/data.qcow2", format: "qcow2", bus: "scsi" },
        to: { file: "/srv/other.qcow2", format: "qcow2", bus: "scsi" },
        disruption: "restart",
      },
    ]);
    expect(diff(withDisk(1, { format: "raw" })).map((c) => [c.field, c.disruption])).toEqual([["disks[1]", "restart"]]);
    expect(diff(withDisk(2, { device: "/dev/sdy" }))).toEqual([
      {
        field: "disks[2]",
        from: { device: "/dev/sdz", bus: "sata" },
        to: { device: "/dev/sdy", bus: "sata" },
        disruption: "restart",
      },
    ]);
    const asFile = spec().disks.map((d, j) =>
      j === 2 ? ({ ...deviceDisk(), device: undefined, file: "/dev/sdz", format: "raw" } as unknown as DiskSpec) : d,
    );
    expect(diff(asFile).map((c) => c.field)).toEqual(["disks[2]"]);
  });

  it("adding or removing a virtio file or device disk is live; a sata/scsi one restart", () => {
    const extra: DiskSpec = { file: "/srv/hot.img", format: "raw", bus: "virtio", iotune: { totalIopsSec: 5 } };
    expect(diff([...spec().disks, extra])).toEqual([
      { field: "disks[3]", from: null, to: { file: "/srv/hot.img", format: "raw", bus: "virtio" }, disruption: "live" },
    ]);
    const dev: DiskSpec = { device: "/dev/sdx", bus: "virtio" };
    expect(diff([...spec().disks, dev])).toEqual([
      { field: "disks[3]", from: null, to: { device: "/dev/sdx", bus: "virtio" }, disruption: "live" },
    ]);
    const withHot = parseDomainXml(buildDomainXml(spec([...spec().disks, extra]), ctx()));
    expect(diffDomain(spec(), withHot, true, { diskPaths: ctx().diskPaths })).toEqual([
      {
        field: "disks[vdb]",
        from: { file: "/srv/hot.img", format: "raw", bus: "virtio" },
        to: null,
        disruption: "live",
      },
    ]);
    expect(diff([volumeDisk(), deviceDisk()]).map((c) => [c.field, c.disruption])).toEqual([
      // the device disk moves from sdb to sda: sda changes source, sdb goes away
      ["disks[1]", "restart"],
      ["disks[1].cache", "restart"],
      ["disks[1].io", "restart"],
      ["disks[1].readonly", "restart"],
      ["disks[1].shareable", "restart"],
      ["disks[1].iotune", "live"],
      ["disks[sdb]", "restart"],
    ]);
  });

  it("scsi disks on the definition's virtio-scsi controller are hot-plugged (live); a first one, or one taking a cdrom's name, is restart", () => {
    const scsi2: DiskSpec = { file: "/srv/s2.img", format: "raw", bus: "scsi" };
    // spec() has a scsi disk, so its definition has the virtio-scsi controller
    expect(diff([...spec().disks, scsi2])).toEqual([
      { field: "disks[3]", from: null, to: { file: "/srv/s2.img", format: "raw", bus: "scsi" }, disruption: "live" },
    ]);
    const two = spec([volumeDisk(), fileDisk(), scsi2]);
    const storedTwo = parseDomainXml(buildDomainXml(two, ctx()));
    expect(diffDomain(spec([volumeDisk(), fileDisk()]), storedTwo, true, { diskPaths: ctx().diskPaths })).toEqual([
      {
        field: "disks[sdb]",
        from: { file: "/srv/s2.img", format: "raw", bus: "scsi" },
        to: null,
        disruption: "live",
      },
    ]);
    // no scsi disk (and so no controller) in the definition yet: restart
    const noScsi = parseDomainXml(buildDomainXml(spec([volumeDisk()]), ctx()));
    expect(diffDomain(spec([volumeDisk(), scsi2]), noScsi, true, { diskPaths: ctx().diskPaths })).toEqual([
      { field: "disks[1]", from: null, to: { file: "/srv/s2.img", format: "raw", bus: "scsi" }, disruption: "restart" },
    ]);
    // the new disk's target is a cdrom's (cdroms follow the sd disks): restart
    const withCd = { ...spec([volumeDisk(), fileDisk()]), cdroms: [{ path: "/srv/x.iso" }] };
    const storedCd = parseDomainXml(buildDomainXml(withCd, ctx()));
    expect(storedCd.cdroms.map((c) => c.target)).toEqual(["sdb"]);
    expect(
      diffDomain({ ...withCd, disks: [volumeDisk(), fileDisk(), scsi2] }, storedCd, true, {
        diskPaths: ctx().diskPaths,
      }),
    ).toEqual([
      { field: "disks[2]", from: null, to: { file: "/srv/s2.img", format: "raw", bus: "scsi" }, disruption: "restart" },
    ]);
  });

  it("the hot-plug XML of a file disk carries its options", () => {
    const extra: DiskSpec = {
      file: "/srv/hot.img",
      format: "raw",
      bus: "virtio",
      serial: "HOT",
      iotune: { totalIopsSec: 5 },
    };
    const xml = buildDiskDeviceXml(spec([volumeDisk(), extra]), 1, ctx());
    const p = parseDisks(parseXml(`<devices>${xml}</devices>`, "devices")).disks[0];
    expect(p).toMatchObject({
      target: "vdb",
      type: "file",
      path: "/srv/hot.img",
      serial: "HOT",
      iotune: { totalIopsSec: 5 },
    });
  });

  it("libvirt's default LSI controller under scsi disks is one restart change; other controllers are ignored", () => {
    const xml = buildDomainXml(spec(), ctx()).replace('model="virtio-scsi"', 'model="lsilogic"');
    const lsi = parseDomainXml(
      xml.replace("</devices>", '<controller type="usb" index="0" model="piix3-uhci"/></devices>'),
    );
    expect(diffDomain(spec(), lsi, true, { diskPaths: ctx().diskPaths })).toEqual([
      { field: "disks.scsiController", from: "lsilogic", to: "virtio-scsi", disruption: "restart" },
    ]);
    // no scsi disk wanted: a scsi controller libvirt or anyone left is not compared
    const noScsi = [volumeDisk()];
    const p = parseDomainXml(
      buildDomainXml(spec(noScsi), ctx()).replace(
        "</devices>",
        '<controller type="scsi" index="0" model="lsilogic"/></devices>',
      ),
    );
    expect(diffDomain(spec(noScsi), p, true, { diskPaths: ctx().diskPaths })).toEqual([]);
  });

  it("options the spec leaves out must be absent: an out-of-band cache on a plain volume disk is drift", () => {
    const plain: DiskSpec = { pool: "p", volume: "root.qcow2", bus: "virtio" };
    const xml = buildDomainXml(spec([plain]), ctx()).replace('type="qcow2"', 'type="qcow2" cache="unsafe"');
    expect(diffDomain(spec([plain]), parseDomainXml(xml), true, { diskPaths: ctx().diskPaths })).toEqual([
      { field: "disks[0].cache", from: "unsafe", to: null, disruption: "restart" },
    ]);
  });
});
