/**
 * fs, disk and dir pools end to end on this machine's real libvirtd, on loop devices the test
 * makes (an image file, `losetup --find --show`, mkfs.ext4): libvirt mounts an fs pool;
 * `build: true` over a device holding a file system is refused (blocked, the device and
 * libvirt untouched) and with `overwrite: true` formats it; a disk pool's build writes a gpt
 * label, and is refused over a file system. Plan-stage errors: a target another libvirt pool
 * on the host already uses, a source device the host does not have.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentStore } from "../../../agent/state/index.js";
import type { PoolSpec } from "../../../common/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { tempDir } from "../../harness/processes.js";
import { virsh } from "../../harness/virsh.js";
import { detachLoop, loopDevice, only, poolExists, poolState, probe, removePools, run, runPools } from "./pool-run.js";

const prefix = `vft-pl-${randomBytes(3).toString("hex")}-`;
const dir = tempDir("vft-pl-");
const loops: string[] = [];
const pools: string[] = [];
let hv: Hypervisor;
let store: AgentStore;

async function loop(name: string, mib = 32): Promise<string> {
  const dev = await loopDevice(join(dir.path, `${name}.img`), mib);
  loops.push(dev);
  return dev;
}

function pool(name: string, over: Partial<PoolSpec>): PoolSpec {
  pools.push(`${prefix}${name}`);
  return { name: `${prefix}${name}`, type: "dir", path: null, autostart: false, state: "active", ...over };
}

const mounted = (path: string) =>
  readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .some((l) => l.split(" ")[1] === path);

beforeAll(async () => {
  hv = await Hypervisor.open();
  store = AgentStore.openFile(":memory:");
});

afterAll(async () => {
  await removePools(pools);
  for (const d of loops) await detachLoop(d);
  await hv?.close();
  store?.close();
  dir.cleanup();
});

describe("fs pool on a loop device", () => {
  let dev = "";
  const mnt = join(dir.path, "fs-mnt");
  const fs = () => pool("fs", { type: "fs", path: mnt, source: { device: dev, format: "ext4" } });

  beforeAll(async () => {
    dev = await loop("fs");
    await run("mkfs.ext4", ["-q", "-F", dev]);
  });

  it("build false: libvirt mounts the existing file system (not formatted); a second run is in sync", async () => {
    const uuid = (await probe(dev)).UUID;
    expect(uuid).toBeTruthy();
    const r = only(await runPools(hv, store, [fs()]), `${prefix}fs`);
    expect(r.outcome, r.error).toBe("changed");
    expect((await probe(dev)).UUID).toBe(uuid);
    expect(await poolState(`${prefix}fs`)).toBe("running");
    expect(mounted(mnt)).toBe(true);
    const again = only(await runPools(hv, store, [fs()]), `${prefix}fs`);
    expect(again).toMatchObject({ outcome: "ok", changes: [] });
  });

  it("another pool on the same device or mount point is a plan-stage error naming the other pool; nothing applied", async () => {
    const dup = pool("fsdup", { type: "dir", path: mnt });
    for (const dryRun of [true, false]) {
      const r = only(await runPools(hv, store, [dup], { dryRun, policy: "dup" }), dup.name);
      expect(r.outcome).toBe("failed");
      expect(r.error).toContain(`its path ${mnt} is already used by the libvirt pool ${prefix}fs on this host`);
    }
    const dev2 = pool("fsdup2", { type: "fs", path: join(dir.path, "elsewhere"), source: { device: dev } });
    const r = only(await runPools(hv, store, [dev2], { policy: "dup" }), dev2.name);
    expect(r.error).toContain(`its source device ${dev} is already used by the libvirt pool ${prefix}fs`);
    expect(await poolExists(dup.name)).toBe(false);
    expect(await poolExists(dev2.name)).toBe(false);
  });
});

describe("build: true over a device that holds a file system", () => {
  let dev = "";
  let uuid = "";
  const mnt = join(dir.path, "fsb-mnt");
  const spec = (overwrite: boolean) =>
    pool("fsb", {
      type: "fs",
      path: mnt,
      source: { device: dev, format: "ext4" },
      build: true,
      ...(overwrite ? { overwrite: true } : {}),
    });

  beforeAll(async () => {
    dev = await loop("fsb");
    await run("mkfs.ext4", ["-q", "-F", dev]);
    uuid = (await probe(dev)).UUID!;
    expect(uuid).toBeTruthy();
  });

  it("without overwrite: blocked in the plan and in apply, naming the device and what it holds; nothing touched", async () => {
    for (const dryRun of [true, false]) {
      const r = only(await runPools(hv, store, [spec(false)], { dryRun }), `${prefix}fsb`);
      expect(r.outcome).toBe("blocked");
      expect(r.error).toContain(`${dev} holds a ext4 file system`);
      expect(r.error).toContain("overwrite: true");
    }
    expect(await poolExists(`${prefix}fsb`)).toBe(false);
    expect((await probe(dev)).UUID).toBe(uuid);
  });

  it("with overwrite: formatted (a new file system) and mounted", async () => {
    const plan = only(await runPools(hv, store, [spec(true)], { dryRun: true }), `${prefix}fsb`);
    expect(plan.outcome).toBe("drift");
    expect(plan.changes).toContainEqual(
      expect.objectContaining({
        field: "build",
        from: `${dev} holds a ext4 file system`,
        to: `a ext4 file system on ${dev}`,
      }),
    );
    expect((await probe(dev)).UUID).toBe(uuid);
    const r = only(await runPools(hv, store, [spec(true)]), `${prefix}fsb`);
    expect(r.outcome, r.error).toBe("changed");
    const after = await probe(dev);
    expect(after.TYPE).toBe("ext4");
    expect(after.UUID).not.toBe(uuid);
    expect(mounted(mnt)).toBe(true);
    // build runs when the pool is defined onto its source, never again
    const again = only(await runPools(hv, store, [spec(true)]), `${prefix}fsb`);
    expect(again).toMatchObject({ outcome: "ok", changes: [] });
    expect((await probe(dev)).UUID).toBe(after.UUID);
  });
});

describe("disk pool on a loop device", () => {
  it("build: true over a file system without overwrite is refused, the device untouched", async () => {
    const dev = await loop("dfs");
    await run("mkfs.ext4", ["-q", "-F", dev]);
    const uuid = (await probe(dev)).UUID;
    const spec = pool("dfs", { type: "disk", path: "/dev", source: { device: dev, format: "gpt" }, build: true });
    const r = only(await runPools(hv, store, [spec]), spec.name);
    expect(r.outcome).toBe("blocked");
    expect(r.error).toContain(`${dev} holds a ext4 file system`);
    expect(await poolExists(spec.name)).toBe(false);
    expect(await probe(dev)).toMatchObject({ TYPE: "ext4", UUID: uuid });
  });

  it("build: true on an empty device writes a gpt label; libvirt starts the pool; a second run is in sync", async () => {
    const dev = await loop("dgpt", 128);
    expect(await probe(dev)).toEqual({});
    const spec = pool("dgpt", { type: "disk", path: "/dev", source: { device: dev, format: "gpt" }, build: true });
    const r = only(await runPools(hv, store, [spec]), spec.name);
    expect(r.outcome, r.error).toBe("changed");
    expect(r.changes).toContainEqual(expect.objectContaining({ field: "build", from: "empty" }));
    expect((await probe(dev)).PTTYPE).toBe("gpt");
    expect(await poolState(spec.name)).toBe("running");
    expect(only(await runPools(hv, store, [spec]), spec.name)).toMatchObject({ outcome: "ok", changes: [] });
  });

  it("moving a disk pool that holds a partition (libvirt's volume list) to another device is blocked", async () => {
    const name = `${prefix}dgpt`;
    const first = (await virsh("pool-dumpxml", "--inactive", name)).match(/<device path='([^']+)'/)![1]!;
    // a disk pool's volumes are partitions, named after the device (loopNp1)
    const part = `${first.slice("/dev/".length)}p1`;
    await virsh("vol-create-as", name, part, "16M");
    const other = await loop("dother");
    const moved: PoolSpec = {
      ...pool("dgpt", { type: "disk", path: "/dev", source: { device: other, format: "gpt" }, build: true }),
    };
    for (const dryRun of [true, false]) {
      const r = only(await runPools(hv, store, [moved], { dryRun }), name);
      expect(r.outcome).toBe("blocked");
      expect(r.error).toContain(`source.device ${first} → ${other} would strand its 1 volume (${part})`);
    }
    expect((await virsh("pool-dumpxml", "--inactive", name)).includes(`<device path='${first}'`)).toBe(true);
    expect(await probe(other)).toEqual({});
  });
});

describe("dir pool and a missing device", () => {
  it("a dir pool is created and then in sync", async () => {
    const path = join(dir.path, "dir-pool");
    const spec = pool("dir", { type: "dir", path });
    expect(only(await runPools(hv, store, [spec]), spec.name).outcome).toBe("changed");
    expect(await poolState(spec.name)).toBe("running");
    expect(only(await runPools(hv, store, [spec]), spec.name)).toMatchObject({ outcome: "ok", changes: [] });
  });

  it("a source device the host does not have is a plan-stage error; nothing defined", async () => {
    const missing = `/dev/${prefix}missing`;
    const spec = pool("nodev", { type: "fs", path: join(dir.path, "nodev"), source: { device: missing } });
    mkdirSync(join(dir.path, "nodev"), { recursive: true });
    const r = only(await runPools(hv, store, [spec], { dryRun: true }), spec.name);
    expect(r.outcome).toBe("failed");
    expect(r.error).toBe(
      `pool ${spec.name}: source device ${missing} does not exist on this host; nothing was applied`,
    );
    expect(await poolExists(spec.name)).toBe(false);
    expect(await virsh("pool-list", "--all", "--name")).not.toContain(spec.name);
  });
});
