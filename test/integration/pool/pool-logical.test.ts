/**
 * A `logical` pool end to end: `build: true` makes an LVM volume group on a loop device, and
 * libvirt starts the pool; `build: true` over a device holding a file system is refused. Needs
 * the kernel's device-mapper (dm_mod) and the LVM tools; probed at run time. Where they are
 * missing (this project's test machines have no device-mapper) the test is skipped with a
 * message naming what is missing; libvirt's validation of logical pools is covered in
 * pool-types-libvirt.test.ts.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentStore } from "../../../agent/state/index.js";
import type { PoolSpec } from "../../../common/index.js";
import { Hypervisor } from "../../../libvirt/index.js";
import { tempDir } from "../../harness/processes.js";
import { detachLoop, loopDevice, only, poolExists, poolState, probe, removePools, run, runPools } from "./pool-run.js";

function onPath(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", 'command -v "$1"', "sh", tool], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const missing = [
  existsSync("/dev/mapper/control") || existsSync("/sys/module/dm_mod")
    ? null
    : "device-mapper (dm_mod: no /dev/mapper/control, no /sys/module/dm_mod)",
  onPath("vgcreate") ? null : "the LVM tools (vgcreate, package lvm2)",
].filter((m): m is string => m !== null);
const SKIP = missing.length > 0 ? `skipped: this kernel/host lacks ${missing.join(" and ")}` : null;
if (SKIP) console.warn(`pool-logical.test.ts: ${SKIP}`);

const hex = randomBytes(3).toString("hex");
const prefix = `vft-pl-${hex}-`;
const vg = `vftpl${hex}`;
let dir: ReturnType<typeof tempDir>;
const loops: string[] = [];
let hv: Hypervisor;
let store: AgentStore;

describe.skipIf(SKIP !== null)(`logical pool on a loop device${SKIP ? ` (${SKIP})` : ""}`, () => {
  beforeAll(async () => {
    dir = tempDir("vft-pl-");
    hv = await Hypervisor.open();
    store = AgentStore.openFile(":memory:");
  });

  afterAll(async () => {
    await removePools([`${prefix}lvm`, `${prefix}lvmfs`]);
    await run("vgremove", ["-f", vg]).catch(() => undefined);
    for (const d of loops) {
      await run("pvremove", ["-ff", "-y", d]).catch(() => undefined);
      await detachLoop(d);
    }
    await hv?.close();
    store?.close();
    dir?.cleanup();
  });

  const spec = (name: string, dev: string): PoolSpec => ({
    name: `${prefix}${name}`,
    type: "logical",
    path: null,
    source: { name: vg, devices: [dev] },
    build: true,
    autostart: false,
    state: "active",
  });

  it("build: true over a file system is refused; nothing touched", async () => {
    const dev = await loopDevice(join(dir.path, "fs.img"), 64);
    loops.push(dev);
    await run("mkfs.ext4", ["-q", "-F", dev]);
    const r = only(await runPools(hv, store, [spec("lvmfs", dev)]), `${prefix}lvmfs`);
    expect(r.outcome).toBe("blocked");
    expect(await poolExists(`${prefix}lvmfs`)).toBe(false);
    expect((await probe(dev)).TYPE).toBe("ext4");
  });

  it("build: true makes the volume group and libvirt starts the pool", async () => {
    const dev = await loopDevice(join(dir.path, "pv.img"), 64);
    loops.push(dev);
    const r = only(await runPools(hv, store, [spec("lvm", dev)]), `${prefix}lvm`);
    expect(r.outcome, r.error).toBe("changed");
    expect((await probe(dev)).TYPE).toBe("LVM2_member");
    expect(await poolState(`${prefix}lvm`)).toBe("running");
    expect(only(await runPools(hv, store, [spec("lvm", dev)]), `${prefix}lvm`).outcome).toBe("ok");
  });
});
