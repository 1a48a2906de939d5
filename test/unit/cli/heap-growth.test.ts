import { execFileSync } from "node:child_process";
import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { heapGrowthArg, heapGrowthV8Flag, MAX_HEAP_GROWTH_PERCENT } from "../../../cli/heap-growth.js";

/**
 * Largest heap (MiB) a fresh Node process reaches while it keeps ~60 MiB alive and churns
 * ~1 GiB of garbage, with `flag` set at run time as the controller sets it.
 */
function peakHeapMiB(flag: string | undefined): number {
  const script = `
    const v8 = require("node:v8");
    ${flag ? `v8.setFlagsFromString(${JSON.stringify(flag)});` : ""}
    const live = [];
    for (let i = 0; i < 400000; i++) live.push({ s: "x".repeat(24) + i, a: [i, i + 1] });
    let peak = 0;
    for (let r = 0; r < 30; r++) {
      const g = [];
      for (let i = 0; i < 150000; i++) g.push({ k: i, s: "y" + i, a: [i, i] });
      peak = Math.max(peak, process.memoryUsage().heapTotal);
    }
    process.stdout.write(String(Math.round(peak / 1048576) + live.length * 0));`;
  return Number(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }));
}

describe("--heap-growth", () => {
  it("takes a whole percent from 0 to the maximum", () => {
    for (const ok of ["0", "50", " 7 ", String(MAX_HEAP_GROWTH_PERCENT)]) expect(heapGrowthArg(ok)).toBe(Number(ok));
    for (const bad of ["", "-1", "1.5", "abc", "50%", String(MAX_HEAP_GROWTH_PERCENT + 1)])
      expect(() => heapGrowthArg(bad)).toThrow(InvalidArgumentError);
  });

  it("0 sets nothing; a percent names V8's growing factor", () => {
    expect(heapGrowthV8Flag(0)).toBeUndefined();
    expect(heapGrowthV8Flag(50)).toBe("--heap-growing-percent=50");
  });

  it("set at run time, V8 holds a smaller heap around the same live data (Node must honour it)", {
    timeout: 60_000,
  }, () => {
    const ownRule = peakHeapMiB(undefined);
    const tight = peakHeapMiB(heapGrowthV8Flag(10));
    expect(tight).toBeLessThan(ownRule * 0.85);
  });
});
