/**
 * Disks against the real libvirtd: a guest with every disk variant (a volume in a dir pool
 * the test creates, files the test creates, a loop device the test attaches) and every
 * option is defined through the domain resource, read back (`virsh dumpxml --inactive`) and
 * diffs to nothing; one field changed is one change. On a RUNNING guest (blank disks, no
 * OS): iotune changed live through the resource (checked with `virsh blkdeviotune`), a
 * virtio file disk hot-plugged and unplugged, and a second apply changes nothing. A file or
 * device the host does not have fails the plan naming the host and the field.
 *
 * Unplugging a virtio disk needs the guest OS to release it: this guest has none, so the
 * detach stays requested (pending restart) until the guest restarts, which the test then does.
 * Cleans up its pool, volumes, files, loop device and guests.
 */
import { execFile } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../common/index.js";
import {
  DomainResource,
  detectDomainEnv,
  diffDomain,
  parseDomainXml,
  type DomainHostEnv,
} from "../../../kinds/index.js";
import type { DiskSpec } from "../../../kinds/domain/disks/schema.js";
import { DiskSourceError } from "../../../kinds/domain/disks/index.js";
import type { DomainSpec } from "../../../kinds/domain/spec.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { tempDir } from "../../harness/processes.js";
import { tinyDomainSpec } from "../../harness/specs.js";
import { cleanupPrefix, testPrefix, virsh, virshResult } from "../../harness/virsh.js";
import { rootDiskOptions } from "../../unit/domain-disks/specs.js";

const run = promisify(execFile);
const prefix = testPrefix();
const dir = tempDir("vft-disks-");
// QEMU runs as libvirt-qemu: it must be able to reach the files.
chmodSync(dir.path, 0o755);
const pool = `${prefix}pool`;
const poolPath = join(dir.path, "pool");
const allName = `${prefix}all`;
const liveName = `${prefix}live`;
const dataQcow2 = join(dir.path, "data.qcow2");
const rawImg = join(dir.path, "raw.img");
const hotImg = join(dir.path, "hot.img");
const loopImg = join(dir.path, "loop.img");
let loop = "";
let volPath = "";
let hv: Hypervisor;
let env: DomainHostEnv;

const signal = () => new AbortController().signal;
const resource = (spec: DomainSpec) =>
  new DomainResource(spec, "p", [], { hv, log: silentLogger(), shutdownTimeoutMs: 2_000, hostName: "h-test" }, env);

/** The options of the data disk (a qcow2 file on the scsi bus), as written and as read back. */
const DATA_OPTIONS = {
  cache: "writeback",
  io: "threads",
  discard: "ignore",
  detectZeroes: "off",
  serial: "VFT-DATA",
  bootIndex: 2,
} as const;

function allDisks(): DiskSpec[] {
  return [
    { pool, volume: "root.qcow2", bus: "virtio", ...rootDiskOptions("VFT-ROOT") },
    { file: dataQcow2, format: "qcow2", bus: "scsi", ...DATA_OPTIONS },
    {
      device: loop,
      bus: "sata",
      cache: "none",
      io: "io_uring",
      shareable: true,
      iotune: { readIopsSec: 100, writeIopsSec: 50, readBytesSec: 1000000, writeBytesSec: 500000 },
    },
    {
      file: rawImg,
      format: "raw",
      bus: "virtio",
      cache: "directsync",
      io: "native",
      readonly: true,
      detectZeroes: "on",
    },
    { file: join(dir.path, "scsi2.img"), format: "raw", bus: "scsi" },
  ];
}

const allSpec = (disks = allDisks()): DomainSpec => tinyDomainSpec(allName, { disks, state: "shutoff" });
const liveSpec = (disks: DiskSpec[]): DomainSpec => tinyDomainSpec(liveName, { disks, state: "running" });
const liveRoot = (iotune: DiskSpec["iotune"]): DiskSpec => ({ pool, volume: "blank.qcow2", bus: "virtio", iotune });

async function inactive(name: string) {
  return parseDomainXml(await virsh("dumpxml", "--inactive", name));
}

/** `virsh blkdeviotune` output as name → number. */
async function blkdeviotune(name: string, target: string, ...flags: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await virsh("blkdeviotune", name, target, ...flags)).split("\n")) {
    const m = /^\s*(\w+)\s*:\s*(\d+)\s*$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Targets and sources of the running guest (`--inactive`: of its definition). */
async function blockList(name: string, ...flags: string[]): Promise<string[]> {
  return (await virsh("domblklist", name, ...flags))
    .split("\n")
    .map((l) => l.trim().split(/\s+/).join(" "))
    .filter((l) => l && !l.startsWith("Target") && !l.startsWith("-"));
}

const targets = (list: string[]) => list.map((l) => l.split(" ")[0]);

beforeAll(async () => {
  hv = await Hypervisor.open();
  env = await detectDomainEnv();
  await virsh("pool-define-as", pool, "dir", "--target", poolPath);
  await virsh("pool-build", pool);
  await virsh("pool-start", pool);
  await virsh("vol-create-as", pool, "root.qcow2", "16M", "--format", "qcow2");
  await virsh("vol-create-as", pool, "blank.qcow2", "16M", "--format", "qcow2");
  volPath = (await virsh("vol-path", "--pool", pool, "root.qcow2")).trim();
  await run("qemu-img", ["create", "-q", "-f", "qcow2", dataQcow2, "16M"]);
  for (const f of [rawImg, hotImg, loopImg, join(dir.path, "scsi2.img")]) {
    writeFileSync(f, "");
    await run("truncate", ["-s", "16M", f]);
  }
  loop = (await run("losetup", ["-f", "--show", loopImg])).stdout.trim();
}, 60_000);

afterAll(async () => {
  await hv?.close();
  await cleanupPrefix(prefix);
  if (loop) await run("losetup", ["-d", loop]).catch(() => undefined);
  dir.cleanup();
  expect(await virsh("list", "--all", "--name")).not.toContain(prefix);
  expect(await virsh("pool-list", "--all", "--name")).not.toContain(prefix);
  if (loop) expect((await run("losetup", ["-a"])).stdout).not.toContain(`${loopImg}`);
}, 60_000);

describe("every disk variant and option through the real libvirtd", () => {
  it("defines, reads back as written (virtio-scsi controller included) and diffs to nothing", async () => {
    const spec = allSpec();
    const created = await resource(spec).checkApply(signal(), true);
    expect(created.changes.map((c) => c.field)).toEqual(["state"]);
    const p = await inactive(allName);
    // libvirt keeps disks ordered by bus; they are matched by target.
    expect(Object.fromEntries(p.disks.map((d) => [d.target, d]))).toMatchObject({
      vda: {
        target: "vda",
        type: "volume",
        pool,
        volume: "root.qcow2",
        format: "qcow2",
        bus: "virtio",
        ...rootDiskOptions("VFT-ROOT"),
      },
      sda: { target: "sda", type: "file", path: dataQcow2, format: "qcow2", bus: "scsi", ...DATA_OPTIONS },
      sdb: {
        target: "sdb",
        type: "block",
        path: loop,
        format: "raw",
        bus: "sata",
        io: "io_uring",
        shareable: true,
        iotune: { readIopsSec: 100, writeIopsSec: 50, readBytesSec: 1000000, writeBytesSec: 500000 },
      },
      vdb: { target: "vdb", type: "file", path: rawImg, readonly: true, cache: "directsync", detectZeroes: "on" },
      sdc: { target: "sdc", type: "file", bus: "scsi" },
    });
    expect(p.scsiControllers.filter((c) => c.index === 0)).toEqual([{ index: 0, model: "virtio-scsi" }]);
    const diskPaths = new Map([[`${pool}/root.qcow2`, { path: volPath, format: "qcow2" as const }]]);
    expect(diffDomain(spec, p, false, { diskPaths })).toEqual([]);
    expect(diffDomain(spec, p, true, { diskPaths })).toEqual([]);
    // The second apply sees nothing: not libvirt's sata/usb/pci controllers, addresses or aliases.
    expect((await resource(spec).checkApply(signal(), false)).changes).toEqual([]);
    expect((await resource(spec).checkApply(signal(), true)).changes).toEqual([]);
  });

  it("one field changed is one change (dry-run); applied, the next apply is empty", async () => {
    const cases: [number, Record<string, unknown>, string][] = [
      [1, { cache: "unsafe" }, "disks[1].cache"],
      [0, { iotune: { totalIopsSec: 10 } }, "disks[0].iotune"],
      [2, { shareable: false }, "disks[2].shareable"],
      [3, { bootIndex: 3 }, "disks[3].bootIndex"],
      [1, { serial: "OTHER" }, "disks[1].serial"],
      [0, { detectZeroes: "on" }, "disks[0].detectZeroes"],
    ];
    for (const [i, patch, field] of cases) {
      const disks = allDisks().map((d, j) => (j === i ? ({ ...d, ...patch } as DiskSpec) : d));
      const r = await resource(allSpec(disks)).checkApply(signal(), false);
      expect(r.changes.map((c) => [c.field, c.disruption])).toEqual([[field, "live"]]);
    }
    const changed = allDisks().map((d, j) => (j === 1 ? ({ ...d, cache: "unsafe" } as DiskSpec) : d));
    expect((await resource(allSpec(changed)).checkApply(signal(), true)).changes.map((c) => c.field)).toEqual([
      "disks[1].cache",
    ]);
    expect((await resource(allSpec(changed)).checkApply(signal(), true)).changes).toEqual([]);
    expect((await resource(allSpec()).checkApply(signal(), true)).changes.map((c) => c.field)).toEqual([
      "disks[1].cache",
    ]);
  });

  it("QEMU accepts every option: the guest starts, and a running guest shows no drift", async () => {
    const running = { ...allSpec(), state: "running" as const };
    const r = await resource(running).checkApply(signal(), true);
    expect(r.changes).toEqual([{ field: "state", from: "shutoff", to: "running", disruption: "live" }]);
    expect((await virsh("domstate", allName)).trim()).toBe("running");
    expect(await blkdeviotune(allName, "sdb")).toMatchObject({ read_iops_sec: 100, write_bytes_sec: 500000 });
    const again = await resource(running).checkApply(signal(), true);
    expect(again.changes).toEqual([]);
    expect(again.pendingRestart).toBeFalsy();
    await virsh("destroy", allName);
  });

  it("a file or device the host does not have fails the plan naming the host and the field; nothing defined", async () => {
    const name = `${prefix}missing`;
    const spec = tinyDomainSpec(name, {
      state: "shutoff",
      disks: [
        { file: join(dir.path, "nope.img"), format: "raw", bus: "virtio" },
        { device: "/dev/null", bus: "virtio" },
      ],
    });
    const err = await resource(spec)
      .checkApply(signal(), false)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskSourceError);
    expect((err as Error).message).toMatch(/disks\[0\]\.file .*nope\.img" does not exist/);
    expect((err as Error).message).toMatch(/disks\[1\]\.device "\/dev\/null" is not a block device on host h-test/);
    await expect(resource(spec).checkApply(signal(), true)).rejects.toBeInstanceOf(DiskSourceError);
    expect((await virshResult("dominfo", name)).code).not.toBe(0);
  });
});

describe("a running guest", () => {
  it("starts with its iotune", async () => {
    await resource(liveSpec([liveRoot({ totalIopsSec: 1000 })])).checkApply(signal(), true);
    expect((await virsh("domstate", liveName)).trim()).toBe("running");
    expect(await blkdeviotune(liveName, "vda")).toMatchObject({ total_iops_sec: 1000, total_bytes_sec: 0 });
  });

  it("iotune changed through the resource is applied live (virsh blkdeviotune shows it); a second apply changes nothing", async () => {
    const spec = liveSpec([liveRoot({ totalIopsSec: 500, totalBytesSec: 2097152 })]);
    const r = await resource(spec).checkApply(signal(), true);
    expect(r.changes).toEqual([
      {
        field: "disks[0].iotune",
        from: { totalIopsSec: 1000 },
        to: { totalIopsSec: 500, totalBytesSec: 2097152 },
        disruption: "live",
      },
    ]);
    expect(r.pendingRestart).toBeFalsy();
    expect(await blkdeviotune(liveName, "vda")).toMatchObject({ total_iops_sec: 500, total_bytes_sec: 2097152 });
    expect(await blkdeviotune(liveName, "vda", "--config")).toMatchObject({
      total_iops_sec: 500,
      total_bytes_sec: 2097152,
    });
    expect(await hv.blockIoTune(liveName, "vda", { live: true })).toMatchObject({
      total_iops_sec: 500,
      total_bytes_sec: 2097152,
      read_iops_sec: 0,
    });
    const again = await resource(spec).checkApply(signal(), true);
    expect(again.changes).toEqual([]);
    expect(again.pendingRestart).toBeFalsy();
  });

  it("iotune removed: every limit back to 0 on the running guest", async () => {
    const spec = liveSpec([liveRoot(undefined)]);
    const r = await resource(spec).checkApply(signal(), true);
    expect(r.changes.map((c) => [c.field, c.disruption])).toEqual([["disks[0].iotune", "live"]]);
    expect(Object.values(await hv.blockIoTune(liveName, "vda", { live: true })).every((v) => v === 0)).toBe(true);
    expect((await resource(spec).checkApply(signal(), true)).changes).toEqual([]);
  });

  it("a virtio file disk and a virtio device disk are hot-plugged with their options, then unplugged; second applies change nothing", async () => {
    const hot: DiskSpec = { file: hotImg, format: "raw", bus: "virtio", serial: "HOT", iotune: { writeIopsSec: 42 } };
    const dev: DiskSpec = { device: loop, bus: "virtio", shareable: true };
    const withHot = liveSpec([liveRoot(undefined), hot, dev]);
    const add = await resource(withHot).checkApply(signal(), true);
    expect(add.changes).toEqual([
      { field: "disks[1]", from: null, to: { file: hotImg, format: "raw", bus: "virtio" }, disruption: "live" },
      { field: "disks[2]", from: null, to: { device: loop, bus: "virtio" }, disruption: "live" },
    ]);
    expect(add.pendingRestart).toBeFalsy();
    expect(await blockList(liveName)).toEqual(expect.arrayContaining([`vdb ${hotImg}`, `vdc ${loop}`]));
    expect(await blkdeviotune(liveName, "vdb")).toMatchObject({ write_iops_sec: 42 });
    const again = await resource(withHot).checkApply(signal(), true);
    expect(again.changes).toEqual([]);
    expect(again.pendingRestart).toBeFalsy();

    const without = liveSpec([liveRoot(undefined)]);
    const remove = await resource(without).checkApply(signal(), true);
    expect(remove.changes).toEqual([
      { field: "disks[vdb]", from: { file: hotImg, format: "raw", bus: "virtio" }, to: null, disruption: "live" },
      { field: "disks[vdc]", from: { device: loop, bus: "virtio" }, to: null, disruption: "live" },
    ]);
    expect(targets(await blockList(liveName, "--inactive"))).toEqual(["vda"]);
    const live = await blockList(liveName);
    if (live.length > 1) {
      // No guest OS to release the devices: libvirt accepted the detach; honest about it.
      expect(remove.pendingRestart).toBe(true);
      expect(remove.notes?.join(" ")).toMatch(/disks\[vdb\]: detach requested/);
      await virsh("destroy", liveName);
    }
    const after = await resource(without).checkApply(signal(), true);
    expect(after.changes.filter((c) => c.field !== "state")).toEqual([]);
    expect(targets(await blockList(liveName))).toEqual(["vda"]);
    const last = await resource(without).checkApply(signal(), true);
    expect(last.changes).toEqual([]);
    expect(last.pendingRestart).toBeFalsy();
  }, 60_000);
});

describe("scsi hot-plug on the virtio-scsi controller (a running guest, no OS needed: scsi unplug does not wait for the guest)", () => {
  const scsiName = `${prefix}scsi`;
  const s1: DiskSpec = { file: join(dir.path, "scsi1.img"), format: "raw", bus: "scsi" };
  const s2: DiskSpec = { file: join(dir.path, "scsi2.img"), format: "raw", bus: "scsi", serial: "S2" };
  const scsiSpec = (disks: DiskSpec[]) => tinyDomainSpec(scsiName, { disks, state: "running" });

  it("a second scsi disk is attached live and detached live; second applies change nothing", async () => {
    await virsh("destroy", liveName).catch(() => undefined);
    await run("truncate", ["-s", "16M", join(dir.path, "scsi1.img")]);
    await resource(scsiSpec([s1])).checkApply(signal(), true);
    expect((await virsh("domstate", scsiName)).trim()).toBe("running");
    const add = await resource(scsiSpec([s1, s2])).checkApply(signal(), true);
    expect(add.changes).toEqual([
      { field: "disks[1]", from: null, to: { file: s2.file, format: "raw", bus: "scsi" }, disruption: "live" },
    ]);
    expect(add.pendingRestart).toBeFalsy();
    expect(targets(await blockList(scsiName))).toEqual(["sda", "sdb"]);
    const live = parseDomainXml(await virsh("dumpxml", scsiName));
    expect(live.scsiControllers.filter((c) => c.index === 0)).toEqual([{ index: 0, model: "virtio-scsi" }]);
    expect((await resource(scsiSpec([s1, s2])).checkApply(signal(), true)).changes).toEqual([]);

    const remove = await resource(scsiSpec([s1])).checkApply(signal(), true);
    expect(remove.changes).toEqual([
      { field: "disks[sdb]", from: { file: s2.file, format: "raw", bus: "scsi" }, to: null, disruption: "live" },
    ]);
    expect(remove.pendingRestart).toBeFalsy();
    expect(targets(await blockList(scsiName))).toEqual(["sda"]);
    const last = await resource(scsiSpec([s1])).checkApply(signal(), true);
    expect(last.changes).toEqual([]);
    expect(last.pendingRestart).toBeFalsy();
    await virsh("destroy", scsiName);
  }, 60_000);
});

it("the loop device is a real block device", () => {
  expect(existsSync(loop)).toBe(true);
});
