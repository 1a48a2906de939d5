import { spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Hypervisor, isPoolBusy } from "../../../libvirt/index.js";
import { cleanupPrefix, testPrefix, virsh } from "../../harness/virsh.js";

// A pool in which a volume is being cloned is busy: libvirt refuses to refresh it ("pool … has
// asynchronous jobs running") — what a seed ISO's refresh met while the engine created another
// volume of the same pool. Produced for real with `virsh vol-clone` of 400 MiB of random data;
// refreshPool waits for the job to end, or gives up after busyWaitMs with libvirt's refusal.
const prefix = testPrefix();
const pool = `${prefix}busy`;
const dir = mkdtempSync(join(tmpdir(), `${prefix}pool-`));
let hv: Hypervisor;

function startClone(target: string): Promise<number | null> {
  const clone = spawn("virsh", ["-c", "qemu:///system", "vol-clone", "--pool", pool, "src.raw", target], {
    stdio: "ignore",
  });
  return new Promise((res) => clone.on("exit", res));
}

beforeAll(async () => {
  hv = await Hypervisor.open();
  await virsh("pool-create-as", pool, "dir", "--target", dir);
  await virsh("vol-create-as", pool, "src.raw", "400M", "--format", "raw");
  const f = await open(join(dir, "src.raw"), "r+");
  const chunk = Buffer.alloc(4 << 20);
  for (let i = 0; i < 100; i++) await f.write(randomFillSync(chunk), 0, chunk.length, i * chunk.length);
  await f.close();
}, 60_000);

afterAll(async () => {
  await hv?.close();
  await cleanupPrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe("refreshing a pool busy with another volume's job", { timeout: 60_000 }, () => {
  test("waits for the job to end, then refreshes", async () => {
    const clone = startClone("a.raw");
    await new Promise((r) => setTimeout(r, 150));
    let cloneDone = false;
    void clone.then(() => {
      cloneDone = true;
    });
    await hv.refreshPool(pool);
    expect(cloneDone).toBe(true);
    expect(await clone).toBe(0);
  });

  test("gives up after busyWaitMs with libvirt's refusal", async () => {
    const clone = startClone("b.raw");
    await new Promise((r) => setTimeout(r, 150));
    const err = await hv.refreshPool(pool, { busyWaitMs: 0 }).catch((e: unknown) => e);
    expect(await clone).toBe(0);
    expect(isPoolBusy(err)).toBe(true);
    await hv.refreshPool(pool);
  });
});
