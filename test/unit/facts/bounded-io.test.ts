import { rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectFacts } from "../../../agent/facts/index.js";
import { Semaphore } from "../../../agent/facts/io.js";
import { mapLimit, withTimeout } from "../../../agent/facts/limit.js";
import { buildFixtureTree } from "./fixtures.js";
import { watchEventLoop } from "./loop-lag.js";

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

describe("bounded concurrency helpers", () => {
  it("Semaphore never runs more than its limit", async () => {
    const sem = new Semaphore(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        sem.run(async () => {
          peak = Math.max(peak, ++active);
          await tick();
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it("Semaphore releases on rejection", async () => {
    const sem = new Semaphore(1);
    await expect(sem.run(() => Promise.reject(new Error("x")))).rejects.toThrow("x");
    await expect(sem.run(async () => 42)).resolves.toBe(42);
  });

  it("mapLimit keeps order and bounds calls in flight", async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit(
      Array.from({ length: 40 }, (_, i) => i),
      4,
      async (i) => {
        peak = Math.max(peak, ++active);
        await tick();
        active--;
        return i * 2;
      },
    );
    expect(out).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    expect(peak).toBe(4);
    await expect(mapLimit([], 4, async () => 1)).resolves.toEqual([]);
    await expect(
      mapLimit([1, 2], 4, async (i) => {
        if (i === 2) throw new Error("bad");
        return i;
      }),
    ).rejects.toThrow("bad");
  });

  it("withTimeout rejects late promises", async () => {
    await expect(withTimeout(new Promise(() => {}), 10, "thing")).rejects.toThrow("thing did not finish within 10 ms");
    await expect(withTimeout(Promise.resolve(1), 10, "thing")).resolves.toBe(1);
  });
});

describe("a host with 500 tap devices", () => {
  it("is collected completely without blocking the event loop for 50 ms", async () => {
    const t = await buildFixtureTree({ taps: 500 });
    try {
      const loop = watchEventLoop();
      const f = await collectFacts({
        sysRoot: t.sysRoot,
        procRoot: t.procRoot,
        osReleasePaths: [t.osRelease],
        kvmDevice: t.kvmDevice,
        watchedPaths: [t.libvirtDir],
        addressSource: "none",
        libvirtSocket: join(t.root, "none"),
      });
      const blockedMs = await loop.stop();
      expect(f.network.interfaces).toHaveLength(509);
      expect(f.network.interfaces.filter((i) => i.kind === "tun")).toHaveLength(501);
      expect(f.errors).toEqual([]);
      expect(blockedMs).toBeLessThan(50);
    } finally {
      await rm(t.root, { recursive: true, force: true });
    }
  }, 30_000);
});
