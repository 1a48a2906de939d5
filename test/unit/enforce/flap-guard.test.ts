import { describe, expect, it } from "vitest";
import { FlapGuard } from "../../../agent/enforce/index.js";

describe("flap guard", () => {
  const opts = { threshold: 3, windowMs: 10_000 };

  it("holds a resource after `threshold` repairs within the window, not before", () => {
    const g = new FlapGuard(opts);
    g.recordRepair("domain/a", 0);
    g.recordRepair("domain/a", 1000);
    expect(g.isHeld("domain/a", 1500)).toBe(false);
    g.recordRepair("domain/a", 2000);
    expect(g.isHeld("domain/a", 2500)).toBe(true);
    expect(g.isHeld("domain/b", 2500)).toBe(false);
    // repairs age out of the window if it never engaged
    expect(g.isHeld("domain/a", 10_500)).toBe(false);
  });

  it("engages once, stays held for a window from then, and releases afterwards", () => {
    const g = new FlapGuard(opts);
    for (const t of [0, 1, 2]) g.recordRepair("domain/a", t);
    expect(g.engage("domain/a", 100)).toEqual({ until: 10_100, engagedNow: true });
    expect(g.engage("domain/a", 200)).toEqual({ until: 10_100, engagedNow: false });
    expect(g.isHeld("domain/a", 10_000)).toBe(true);
    expect(g.nextRelease()).toBe(10_100);
    expect(g.release(10_000)).toEqual([]);
    expect(g.release(10_100)).toEqual(["domain/a"]);
    expect(g.isHeld("domain/a", 10_101)).toBe(false);
    expect(g.nextRelease()).toBeNull();
  });

  it("acknowledge lifts one resource or all", () => {
    const g = new FlapGuard(opts);
    for (const id of ["domain/a", "domain/b"]) {
      for (const t of [0, 1, 2]) g.recordRepair(id, t);
      g.engage(id, 3);
    }
    expect(g.acknowledge("domain/a")).toEqual(["domain/a"]);
    expect(g.isHeld("domain/a", 4)).toBe(false);
    expect(g.isHeld("domain/b", 4)).toBe(true);
    expect(g.acknowledge("")).toEqual(["domain/b"]);
    expect(g.isHeld("domain/b", 4)).toBe(false);
  });

  it("survives a snapshot round trip", () => {
    const g = new FlapGuard(opts);
    for (const t of [0, 1, 2]) g.recordRepair("domain/a", t);
    g.engage("domain/a", 5);
    const h = new FlapGuard(opts, JSON.parse(JSON.stringify(g.snapshot())));
    expect(h.isHeld("domain/a", 6)).toBe(true);
    expect(h.nextRelease()).toBe(10_005);
  });
});
