import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectFacts, factsFingerprint, stableFacts } from "../../../agent/facts/index.js";
import type { HostFacts } from "../../../common/facts.js";
import { buildFixtureTree, type FixtureTree } from "./fixtures.js";

describe("factsFingerprint", () => {
  let t: FixtureTree;
  let facts: HostFacts;
  beforeAll(async () => {
    t = await buildFixtureTree();
    facts = await collectFacts({
      sysRoot: t.sysRoot,
      procRoot: t.procRoot,
      osReleasePaths: [t.osRelease],
      kvmDevice: t.kvmDevice,
      watchedPaths: [t.libvirtDir],
      addressSource: "none",
      libvirtSocket: join(t.root, "none"),
    });
  });
  afterAll(async () => {
    await rm(t.root, { recursive: true, force: true });
  });

  const clone = (): HostFacts => structuredClone(facts);

  it("is a sha256 hex string, equal for two collections of an unchanged host", async () => {
    expect(factsFingerprint(facts)).toMatch(/^[0-9a-f]{64}$/);
    expect(factsFingerprint(clone())).toBe(factsFingerprint(facts));
  });

  it("ignores fast-changing values", () => {
    const f = clone();
    f.memory.freeBytes = 1;
    f.memory.availableBytes = 2;
    f.memory.hugepages[0].free = 0;
    f.numa.cells[0].memoryFreeBytes = 3;
    f.filesystems[0].freeBytes = 4;
    f.filesystems[0].availableBytes = 5;
    f.os.uptimeSeconds += 3600;
    f.libvirt.error = "a different wording";
    expect(factsFingerprint(f)).toBe(factsFingerprint(facts));
  });

  it("ignores error wording but not which sources failed", () => {
    const a = clone();
    a.errors = [{ source: "numa", message: "one" }];
    const b = clone();
    b.errors = [{ source: "numa", message: "two" }];
    expect(factsFingerprint(a)).toBe(factsFingerprint(b));
    expect(factsFingerprint(a)).not.toBe(factsFingerprint(facts));
  });

  it.each<[string, (f: HostFacts) => void]>([
    ["memory total", (f) => (f.memory.totalBytes = 1)],
    ["hugepage pool size", (f) => (f.memory.hugepages[0].total = 32)],
    ["cpu count", (f) => (f.cpu.threads = 4)],
    ["kvm usability", (f) => (f.cpu.kvmUsable = false)],
    [
      "a new interface",
      (f) =>
        f.network.interfaces.push({
          name: "tap9",
          mac: null,
          mtu: 1500,
          operState: "up",
          kind: "tun",
          speedMbps: null,
          addresses: [],
        }),
    ],
    ["link state", (f) => (f.network.interfaces[0].operState = "down")],
    ["an address", (f) => f.network.interfaces[0].addresses.push({ family: "inet", address: "10.1.1.1", prefix: 24 })],
    ["file system size", (f) => (f.filesystems[0].sizeBytes += 4096)],
    ["libvirt reachability", (f) => (f.libvirt.reachable = !f.libvirt.reachable)],
    ["kernel", (f) => (f.os.kernel = "6.1.0-99-amd64")],
    ["a disk", (f) => f.disks.pop()],
  ])("changes with %s", (_, mutate) => {
    const f = clone();
    mutate(f);
    expect(factsFingerprint(f)).not.toBe(factsFingerprint(facts));
  });

  it("does not depend on key order", () => {
    const reverse = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverse)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reverse(x)]),
            )
          : v;
    const reversed = reverse(facts) as HostFacts;
    expect(JSON.stringify(reversed)).not.toBe(JSON.stringify(facts));
    expect(factsFingerprint(reversed)).toBe(factsFingerprint(facts));
  });

  it("stableFacts drops exactly the volatile fields", () => {
    const s = stableFacts(facts) as {
      memory: Record<string, unknown>;
      os: Record<string, unknown>;
      filesystems: Record<string, unknown>[];
    };
    expect(Object.keys(s.memory).sort()).toEqual(["hugepages", "totalBytes"]);
    expect(s.os).not.toHaveProperty("uptimeSeconds");
    expect(s.filesystems[0]).not.toHaveProperty("freeBytes");
    expect(s.filesystems[0]).toHaveProperty("sizeBytes");
  });
});
