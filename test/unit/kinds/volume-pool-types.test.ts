/**
 * Volumes in every pool type, without libvirt: the per-type rules (kinds/volume/pool-formats.ts)
 * for the types this machine cannot build (logical: no device-mapper; rbd, iscsi: no Ceph or
 * iSCSI client) as well as the others, the policy errors with file:line:col, the resolved
 * spec, the XML and create flags, the partition-name rule and the refusals.
 * The real paths (dir, fs, disk on loop devices) are test/integration/volume/pool-types.test.ts.
 */
import { describe, expect, it } from "vitest";
import { RefusedChangeError } from "../../../engine/index.js";
import { volumeCreateFlags } from "../../../kinds/volume/allocation.js";
import { nextPartitionName } from "../../../kinds/volume/pool-facts.js";
import { poolTypeProblems } from "../../../kinds/volume/pool-formats.js";
import { refuseUnresizable } from "../../../kinds/volume/refusals.js";
import { resolveVolume } from "../../../kinds/volume/resolve.js";
import { checkVolumeDocuments } from "../../../kinds/volume/semantics.js";
import type { VolumeDocument, VolumeSpec } from "../../../kinds/volume/spec.js";
import { buildVolumeXml } from "../../../kinds/volume/xml-build.js";
import { diffVolume } from "../../../kinds/volume/xml-diff.js";
import { IssueList } from "../../../policy-primitives/issues.js";
import { emptyReferences, ValueChecker } from "../../../policy-primitives/value-checker.js";
import { lines, load, policy } from "../policy/helpers.js";

const GiB = 1024 ** 3;

describe("pool-formats: what each pool type accepts", () => {
  const fields = (type: string, t: Parameters<typeof poolTypeProblems>[2]) =>
    poolTypeProblems("p", type, t).map((p) => `${p.field}: ${p.message}`);

  it("file pools (dir, fs, netfs): the image formats qemu-img creates, allocation, overlays, import", () => {
    for (const type of ["dir", "fs", "netfs"]) {
      for (const format of ["raw", "qcow2", "qed", "vmdk", "vpc", "vdi", null])
        expect(fields(type, { format, allocation: true, backingVolume: true, source: true })).toEqual([]);
      expect(fields(type, { format: "linux" })).toEqual([
        `format: pool "p" is of type ${type}: format linux is not one it supports (raw, qcow2, qed, vmdk, vpc, vdi)`,
      ]);
    }
  });

  it("logical: no format at all (a raw LV), allocation yes (thin), no overlay or import", () => {
    expect(fields("logical", { format: null, allocation: true })).toEqual([]);
    expect(fields("logical", { format: "raw" })).toEqual([
      'format: pool "p" is of type logical: a volume there is a logical volume (a raw block device, no format); leave format out',
    ]);
    expect(
      fields("logical", { format: "qcow2", backingVolume: true, source: true }).map((f) => f.split(":")[0]),
    ).toEqual(["format", "backingVolume", "source"]);
  });

  it("disk: partition types only, no allocation", () => {
    for (const format of ["none", "linux", "fat16", "fat32", "linux-swap", "linux-lvm", "linux-raid", "extended", null])
      expect(fields("disk", { format })).toEqual([]);
    expect(fields("disk", { format: "qcow2" })[0]).toMatch(
      /^format: pool "p" is of type disk: format qcow2 is not one it supports \(none, linux, fat16/,
    );
    expect(fields("disk", { allocation: true })[0]).toMatch(/^allocation: .*a partition .*leave allocation out/);
  });

  it("rbd: raw or nothing; no allocation", () => {
    expect(fields("rbd", { format: "raw" })).toEqual([]);
    expect(fields("rbd", { format: null })).toEqual([]);
    expect(fields("rbd", { format: "qcow2" })[0]).toMatch(/format qcow2 is not one it supports \(raw\)/);
    expect(fields("rbd", { allocation: true })[0]).toMatch(/always raw and thin/);
  });

  it("iscsi, iscsi-direct, scsi, mpath: no volume can be declared; the message names the pool type", () => {
    for (const type of ["iscsi", "iscsi-direct", "scsi", "mpath"]) {
      expect(fields(type, {})).toEqual([
        `pool: pool "p" is of type ${type}: its volumes are a LUN of the target, which libvirt cannot create; remove this volume and refer to the LUN by its name in the pool instead`,
      ]);
    }
  });

  it("an unknown pool type is an error, not a pass", () => {
    expect(fields("zfs", {})[0]).toMatch(/^pool: pool "p" is of type zfs, in which virtfleet does not manage volumes/);
  });
});

describe("volume rules against the pool declared in the same policy", () => {
  /** The issues of `volumes` with `pools` declared before them (as policy-language/semantics.ts passes them). */
  const issues = (pools: unknown[], volumes: Partial<VolumeDocument>[]) => {
    const list = new IssueList("p.yaml", () => ({ file: "p.yaml", line: 1, col: 1 }));
    const refs = emptyReferences();
    refs.declared.pools = pools;
    checkVolumeDocuments(volumes as VolumeDocument[], ["volumes"], new ValueChecker(list, false), refs);
    return list.items.map((i) => `${i.path}: ${i.message}`);
  };

  it("a pool type the schema does not take yet (logical, iscsi, disk, rbd) still gets its rules", () => {
    expect(issues([{ name: "p-lvm", type: "logical" }], [{ name: "lv-db", pool: "p-lvm", capacity: "50GiB" }])).toEqual(
      [],
    );
    expect(
      issues(
        [{ name: "p-lvm", type: "logical" }],
        [{ name: "lv-db", pool: "p-lvm", capacity: "50GiB", format: "qcow2" }],
      ),
    ).toEqual([
      'volumes[0].format: pool "p-lvm" is of type logical: a volume there is a logical volume (a raw block device, no format); leave format out',
    ]);
    expect(issues([{ name: "p-isc", type: "iscsi" }], [{ name: "lun", pool: "p-isc", capacity: "1GiB" }])[0]).toMatch(
      /^volumes\[0\]\.pool: pool "p-isc" is of type iscsi: its volumes are a LUN/,
    );
    expect(
      issues([{ name: "p-isc", type: "iscsi-direct" }], [{ name: "lun", pool: "p-isc", state: "absent" }]),
    ).toEqual([]);
    expect(
      issues([{ name: "d", type: "disk" }], [{ name: "sdb1", pool: "d", capacity: "1GiB", format: "linux" }]),
    ).toEqual([]);
    expect(
      issues([{ name: "r", type: "rbd" }], [{ name: "img", pool: "r", capacity: "1GiB", format: "qcow2" }]),
    ).toEqual(['volumes[0].format: pool "r" is of type rbd: format qcow2 is not one it supports (raw)']);
  });

  it("a pool not declared in the policy: no type rule (checked at the plan on the host)", () => {
    expect(issues([], [{ name: "v", pool: "elsewhere", capacity: "1GiB", format: "linux" }])).toEqual([]);
  });
});

describe("policy errors with file:line:col", () => {
  const errs = (resources: string) => lines(load({ "p.yaml": policy("p", resources) }));

  it("a format the declared pool does not support points at the format", () => {
    expect(
      errs(
        "    pools:\n      - {name: p, path: /srv/p}\n    volumes:\n      - {name: v, pool: p, capacity: 1GiB, format: linux}\n",
      ),
    ).toEqual([
      'p.yaml:10:52: spec.resources.volumes[0].format: pool "p" is of type dir: format linux is not one it supports (raw, qcow2, qed, vmdk, vpc, vdi)',
    ]);
  });

  it("cloneFrom: same pool only, not with source or backingVolume, not itself", () => {
    const vol = (v: string) => errs(`    volumes:\n      - {name: v, pool: p, capacity: 1GiB, ${v}}\n`);
    expect(vol("cloneFrom: other/golden.qcow2")).toEqual([
      'p.yaml:8:55: spec.resources.volumes[0].cloneFrom: cloneFrom names a volume of pool "other"; a volume is cloned only from a volume of its own pool ("p"): clone it there first, or import the image with source',
    ]);
    expect(vol("cloneFrom: p/golden.qcow2")[0]).toMatch(/write "golden\.qcow2", without the pool/);
    expect(vol(`cloneFrom: g, source: {url: "file:///srv/g", sha256: ${"a".repeat(64)}}`)[0]).toMatch(
      /^p\.yaml:8:\d+: spec\.resources\.volumes\[0\]\.cloneFrom: a volume is either cloned \(cloneFrom\) or imported \(source\), not both$/,
    );
    expect(vol("cloneFrom: g, backingVolume: b")[0]).toMatch(
      /either a full copy \(cloneFrom\) or a copy-on-write overlay/,
    );
    expect(vol("cloneFrom: v")[0]).toMatch(/cannot be cloned from itself/);
    expect(vol("cloneFrom: golden.qcow2")).toEqual([]);
  });

  it("allocation: 0 … capacity", () => {
    const vol = (v: string) => errs(`    volumes:\n      - {name: v, pool: p, capacity: 1GiB, ${v}}\n`);
    expect(vol("allocation: 0")).toEqual([]);
    expect(vol("allocation: 1GiB")).toEqual([]);
    expect(vol("allocation: 2GiB")).toEqual([
      "p.yaml:8:56: spec.resources.volumes[0].allocation: 2147483648 bytes is more than the capacity (1073741824 bytes); allocation is 0 (sparse) … capacity (preallocated)",
    ]);
  });

  it("an import is qcow2 or raw", () => {
    expect(
      errs(
        `    volumes:\n      - {name: v, pool: p, capacity: 1GiB, format: vmdk, source: {url: "file:///srv/g", sha256: ${"a".repeat(64)}}}\n`,
      )[0],
    ).toMatch(/volumes\[0\]\.format: an imported image is qcow2 or raw, not vmdk/);
  });
});

describe("resolved spec, XML and create flags", () => {
  const spec = (over: Partial<VolumeSpec> = {}): VolumeSpec => ({
    name: "v",
    pool: "p",
    format: null,
    capacityBytes: GiB,
    backingVolume: null,
    source: null,
    state: "present",
    ...over,
  });

  it("resolve: format left out is null (the pool type's default); allocation and cloneFrom only when declared", () => {
    expect(resolveVolume({ name: "v", pool: "p", capacity: "1GiB" })).toEqual(spec());
    expect(resolveVolume({ name: "v", pool: "p", capacity: "1GiB", allocation: 0, cloneFrom: "g" })).toEqual(
      spec({ allocationBytes: 0, cloneFrom: "g" }),
    );
  });

  it("XML: the pool type's default format, none where the type has none; allocation when declared", () => {
    expect(buildVolumeXml(spec(), { poolType: "dir" })).toContain('<format type="qcow2"');
    expect(buildVolumeXml(spec(), { poolType: "logical" })).not.toContain("<format");
    expect(buildVolumeXml(spec(), { poolType: "disk" })).not.toContain("<target");
    expect(buildVolumeXml(spec({ format: "linux" }), { poolType: "disk" })).toContain('<format type="linux"');
    expect(buildVolumeXml(spec({ allocationBytes: 0, format: "raw" }))).toContain(
      '<allocation unit="bytes">0</allocation>',
    );
    expect(buildVolumeXml(spec())).not.toContain("<allocation");
    expect(() => buildVolumeXml(spec({ allocationBytes: 2 * GiB }))).toThrow(
      /allocationBytes must be 0 … capacityBytes/,
    );
  });

  it("qcow2 preallocation takes libvirt's PREALLOC_METADATA flag; raw and sparse do not", () => {
    expect(volumeCreateFlags("qcow2", GiB)).toBe(1);
    expect(volumeCreateFlags("qcow2", 1)).toBe(1);
    expect(volumeCreateFlags("qcow2", 0)).toBe(0);
    expect(volumeCreateFlags("qcow2", undefined)).toBe(0);
    expect(volumeCreateFlags("raw", GiB)).toBe(0);
    expect(volumeCreateFlags(null, GiB)).toBe(0);
  });

  it("diff: a format the pool type has none of is not compared; allocation never is", () => {
    const actual = {
      name: "v",
      path: "/dev/vg/v",
      capacityBytes: GiB,
      format: null,
      backingPath: null,
      backingFormat: null,
    };
    expect(diffVolume(spec({ allocationBytes: 0 }), actual, { poolType: "logical" })).toEqual([]);
    expect(diffVolume(spec(), { ...actual, format: "none" }, { poolType: "disk" })).toEqual([]);
    expect(diffVolume(spec({ format: "linux" }), { ...actual, format: "none" }, { poolType: "disk" })).toMatchObject([
      { field: "format", from: "none", to: "linux", destructive: true },
    ]);
    expect(diffVolume(spec(), { ...actual, format: "raw" }, { poolType: "dir" })).toMatchObject([
      { field: "format", from: "raw", to: "qcow2", destructive: true },
    ]);
  });

  it("a grow where the backend cannot resize (disk) is refused as blocked, naming the pool type", () => {
    const grow = diffVolume(
      spec({ capacityBytes: 2 * GiB }),
      {
        name: "v",
        path: "/dev/loop0p1",
        capacityBytes: GiB,
        format: "none",
        backingPath: null,
        backingFormat: null,
      },
      { poolType: "disk" },
    );
    expect(grow).toMatchObject([{ field: "capacity", disruption: "live" }]);
    let err: unknown;
    try {
      refuseUnresizable("d/loop0p1", "disk", grow);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RefusedChangeError);
    expect((err as RefusedChangeError).outcome).toBe("blocked");
    expect((err as Error).message).toMatch(/libvirt cannot resize a volume in a pool of type disk/);
  });

  it("disk pools: the next partition's name, as the kernel names it", async () => {
    expect(await nextPartitionName("/dev/vft-vo-none-loop0", [])).toBe("vft-vo-none-loop0p1");
    expect(await nextPartitionName("/dev/vft-vo-none-sdb", ["vft-vo-none-sdb1", "vft-vo-none-sdb3"])).toBe(
      "vft-vo-none-sdb2",
    );
    expect(await nextPartitionName("/dev/vft-vo-none-nvme0n1", ["vft-vo-none-nvme0n1p1"])).toBe(
      "vft-vo-none-nvme0n1p2",
    );
  });
});
