import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF } from "../../../common/index.js";

describe("backoffDelay", () => {
  const opts = { initialMs: 500, maxMs: 30_000, multiplier: 2 };

  it("grows exponentially at the top of the jitter range and stays capped", () => {
    const top = (n: number) => backoffDelay(n, opts, () => 1);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 20].map(top)).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("never goes below half the initial delay (no zero-delay hammering)", () => {
    for (const n of [0, 1, 5, 50]) expect(backoffDelay(n, opts, () => 0)).toBe(250);
  });

  it("spreads a reconnect storm across the window", () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(6, DEFAULT_BACKOFF));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...delays)).toBeLessThanOrEqual(30_000);
    const buckets = new Set(delays.map((d) => Math.floor(d / 3000)));
    expect(buckets.size).toBeGreaterThanOrEqual(9);
  });

  it("treats a negative attempt as the first", () => {
    expect(backoffDelay(-3, opts, () => 1)).toBe(500);
  });
});
