import { describe, expect, it } from "vitest";
import { collectFacts, factsFingerprint } from "../../../agent/facts/index.js";
import { watchEventLoop } from "./loop-lag.js";

describe("collectFacts on this machine", () => {
  it("returns sane facts without blocking the event loop for 50 ms", async () => {
    const loop = watchEventLoop();
    const facts = await collectFacts();
    const blockedMs = await loop.stop();

    expect(facts.hostname).not.toBe("");
    expect(facts.cpu.threads).toBeGreaterThanOrEqual(1);
    expect(facts.memory.totalBytes).toBeGreaterThan(0);
    expect(facts.numa.nodes).toBeGreaterThanOrEqual(1);
    expect(facts.numa.cells.flatMap((c) => c.cpus).length).toBeGreaterThanOrEqual(1);
    const libvirtFs = facts.filesystems.find((fs) => fs.holds.includes("/var/lib/libvirt"));
    expect(libvirtFs, JSON.stringify(facts.filesystems)).toBeDefined();
    expect(libvirtFs!.sizeBytes).toBeGreaterThan(0);
    const lo = facts.network.interfaces.find((i) => i.name === "lo");
    expect(lo?.kind).toBe("loopback");
    expect(facts.os.kernel).not.toBe("");
    expect(facts.libvirt.socket).toBe("/var/run/libvirt/libvirt-sock");
    expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);

    expect(blockedMs, `event loop blocked for ${blockedMs.toFixed(1)} ms`).toBeLessThan(50);
  });

  it("gives the same fingerprint for two collections in a row", async () => {
    const [a, b] = [await collectFacts(), await collectFacts()];
    expect(factsFingerprint(a)).toBe(factsFingerprint(b));
  });
});
