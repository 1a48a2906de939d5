/**
 * The disks area at policy load: every bad disk is rejected with file:line:col and its field;
 * a good one resolves to a spec that carries only the options the policy sets (a volume disk
 * without options resolves exactly as before, so its guest's spec hash does not change).
 */
import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../../../common/index.js";
import { checkResolvedPolicy } from "../../../kinds/bundled-policy-check.js";
import { checkDomainSpec } from "../../../kinds/domain/check.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import { specProblems } from "../../../kinds/spec-checker.js";
import { lines, load, policy } from "../policy/helpers.js";

const doc = (disks: string) =>
  policy("p", `    domains:\n      - name: g\n        vcpus: 1\n        memory: 64MiB\n        disks: ${disks}\n`);
const errs = (disks: string) => lines(load({ "p.yaml": doc(disks) }));

describe("disks at policy load", () => {
  it("a disk names exactly one of volume, file, device", () => {
    expect(errs("[{bus: virtio}]")).toEqual([
      "p.yaml:11:17: spec.resources.domains[0].disks[0]: a disk needs one of volume, file or device",
    ]);
    expect(errs("[{volume: p/v, file: /srv/a.img}]")).toEqual([
      "p.yaml:11:17: spec.resources.domains[0].disks[0]: a disk has exactly one of volume, file or device, not volume and file",
    ]);
    expect(errs("[{file: /srv/a.img, device: /dev/sdb}]")[0]).toMatch(/not file and device$/);
  });

  it("a file path is absolute and normalised; a device path is under /dev", () => {
    expect(errs("[{file: srv/a.img}]")).toEqual([
      'p.yaml:11:24: spec.resources.domains[0].disks[0].file: "srv/a.img" must be an absolute path',
    ]);
    expect(errs("[{file: /srv/../a.img}]")[0]).toMatch(/disks\[0\]\.file: .* must not contain "\.\."/);
    expect(errs("[{device: /srv/sdb}]")).toEqual([
      'p.yaml:11:26: spec.resources.domains[0].disks[0].device: "/srv/sdb": a device disk names a block device under /dev',
    ]);
    expect(errs("[{device: sdb}]")[0]).toMatch(/disks\[0\]\.device: "sdb" must be an absolute path/);
  });

  it("format: raw|qcow2 for a file, raw only for a device, never for a volume", () => {
    expect(errs("[{file: /srv/a.qcow2, format: qcow2}, {device: /dev/sdb, format: raw}]")).toEqual([]);
    expect(errs("[{device: /dev/sdb, format: qcow2}]")).toEqual([
      "p.yaml:11:44: spec.resources.domains[0].disks[0].format: a device disk is raw, not qcow2",
    ]);
    expect(errs("[{volume: p/v, format: raw}]")[0]).toMatch(
      /disks\[0\]\.format: a volume disk's format is the volume's/,
    );
    expect(errs("[{file: /srv/a.img, format: vmdk}]")[0]).toMatch(/disks\[0\]\.format/);
  });

  it("io native needs cache none or directsync", () => {
    expect(errs("[{file: /a.img, io: native, cache: none}, {file: /b.img, io: native, cache: directsync}]")).toEqual(
      [],
    );
    expect(errs("[{file: /a.img, io: native}]")).toEqual([
      "p.yaml:11:36: spec.resources.domains[0].disks[0].io: io: native needs cache: none or directsync (libvirt refuses it with the default cache)",
    ]);
    expect(errs("[{file: /a.img, io: native, cache: writeback}]")[0]).toMatch(
      /disks\[0\]\.io: .*with cache: writeback\)$/,
    );
  });

  it("detectZeroes unmap needs discard unmap", () => {
    expect(errs("[{file: /a.img, discard: unmap, detectZeroes: unmap}]")).toEqual([]);
    expect(errs("[{file: /a.img, detectZeroes: on}]")).toEqual([]);
    expect(errs("[{file: /a.img, discard: ignore, detectZeroes: unmap}]")).toEqual([
      "p.yaml:11:63: spec.resources.domains[0].disks[0].detectZeroes: detectZeroes: unmap needs discard: unmap",
    ]);
  });

  it("serials are well formed and unique; boot indexes unique across the domain's disks", () => {
    expect(errs('[{file: /a.img, serial: "A-1"}, {file: /b.img, serial: "A-1"}]')).toEqual([
      'p.yaml:11:71: spec.resources.domains[0].disks[1].serial: serial "A-1" is already used by disks[0]',
    ]);
    expect(errs('[{file: /a.img, serial: "has space"}]')[0]).toMatch(/disks\[0\]\.serial/);
    expect(errs('[{file: /a.img, serial: "123456789012345678901"}]')[0]).toMatch(/disks\[0\]\.serial/);
    expect(errs("[{file: /a.img, bootIndex: 1}, {file: /b.img, bootIndex: 1}]")).toEqual([
      "p.yaml:11:73: spec.resources.domains[0].disks[1].bootIndex: bootIndex 1 is already used by disks[0]",
    ]);
    expect(errs("[{file: /a.img, bootIndex: 0}]")[0]).toMatch(/disks\[0\]\.bootIndex/);
  });

  it("the same volume, file or device attached twice", () => {
    expect(errs("[{file: /a.img}, {file: /a.img}]")[0]).toMatch(/disks\[1\]\.file: \/a\.img is attached twice/);
    expect(errs("[{device: /dev/sdb}, {device: /dev/sdb}]")[0]).toMatch(/disks\[1\]\.device: .* attached twice/);
  });

  it("iotune: counts ≥ 0, unknown limits refused, a total limit not with its read/write limits", () => {
    expect(errs("[{file: /a.img, iotune: {totalIopsSec: 100, readBytesSec: 5, writeBytesSec: 6}}]")).toEqual([]);
    expect(errs("[{file: /a.img, iotune: {totalIopsSec: 100, readIopsSec: 5}}]")).toEqual([
      "p.yaml:11:55: spec.resources.domains[0].disks[0].iotune.totalIopsSec: totalIopsSec cannot be set together with readIopsSec or writeIopsSec (libvirt refuses both)",
    ]);
    expect(errs("[{file: /a.img, iotune: {totalBytesSec: -1}}]")[0]).toMatch(/iotune\.totalBytesSec/);
    expect(errs("[{file: /a.img, iotune: {sizeIopsSec: 1}}]")[0]).toMatch(/iotune/);
  });

  it("resolves: volume disks as before; file format default raw; options only when set", () => {
    const r = load({
      "p.yaml": doc(
        "[{volume: p/v.qcow2}, {file: /srv/a.img, bus: scsi, cache: none, io: native, readonly: false}, {device: /dev/sdb, bus: sata, serial: S1, bootIndex: 2, iotune: {totalIopsSec: 10}}]",
      ),
    });
    expect(lines(r)).toEqual([]);
    const spec = resolvePolicy(r.policies[0]!, { name: "h" }).resources.domains[0]!;
    expect(spec.disks).toEqual([
      { pool: "p", volume: "v.qcow2", bus: "virtio" },
      { file: "/srv/a.img", format: "raw", bus: "scsi", cache: "none", io: "native", readonly: false },
      { device: "/dev/sdb", bus: "sata", serial: "S1", bootIndex: 2, iotune: { totalIopsSec: 10 } },
    ]);
  });

  it("the resolved spec passes the agent's bundle check and its spec re-check; a bad one does not", () => {
    const r = load({
      "p.yaml": doc(
        "[{volume: p/v.qcow2, cache: none, io: native}, {file: /srv/a.qcow2, format: qcow2, bus: scsi, serial: A}, {device: /dev/sdb, iotune: {readBytesSec: 5}}]",
      ),
    });
    const resolved = resolvePolicy(r.policies[0]!, { name: "h" });
    expect(checkResolvedPolicy(JSON.parse(JSON.stringify(resolved)))).toBeNull();
    const spec = resolved.resources.domains[0]!;
    expect(specProblems(spec, checkDomainSpec)).toEqual([]);
    const bad = {
      ...spec,
      disks: [
        { device: "/srv/x", bus: "virtio" },
        { file: "rel.img", format: "raw", bus: "virtio" },
      ],
    };
    expect(specProblems(bad as DomainSpec, checkDomainSpec)).toEqual([
      "disks[0].device: a device disk names a block device under /dev",
      'disks[1].file: "rel.img" must be an absolute path',
    ]);
    const bundleBad = JSON.parse(JSON.stringify(resolved));
    bundleBad.resources.domains[0].disks[2].iotune.readBytesSec = -1;
    expect(checkResolvedPolicy(bundleBad)).toMatch(/disks\[2\]/);
  });

  it("templated file paths are checked after templating, per host", () => {
    const text = policy(
      "p",
      "    domains:\n      - name: g\n        vcpus: 1\n        memory: 64MiB\n        disks: [{file: '${vars.img}'}]\n",
      "  vars: {img: relative.img}\n",
    );
    const r = load({ "p.yaml": text });
    expect(lines(r)).toEqual([]);
    expect(() => resolvePolicy(r.policies[0]!, { name: "h" })).toThrow(
      /disks\[0\]\.file: for host h: "relative\.img" must be an absolute path/,
    );
  });
});
