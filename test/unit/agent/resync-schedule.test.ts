import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { OptionError } from "../../../common/errors.js";
import { nextResyncSlot, RESYNC_MISSED_TOLERANCE_MS, scheduleResync } from "../../../agent/enforce/resync-schedule.js";

const at = (h: number, m: number, s: number, ms = 0) => new Date(2026, 10, 22, h, m, s, ms).getTime();

describe("nextResyncSlot", () => {
  it("is the next local time of day that is a multiple of the interval, strictly after t", () => {
    expect(nextResyncSlot(at(10, 2, 10), 5 * 60_000)).toBe(at(10, 5, 0));
    expect(nextResyncSlot(at(10, 5, 0), 5 * 60_000)).toBe(at(10, 10, 0));
    expect(nextResyncSlot(at(10, 4, 59, 999), 5 * 60_000)).toBe(at(10, 5, 0));
    expect(nextResyncSlot(at(10, 0, 7), 30_000)).toBe(at(10, 0, 30));
    expect(nextResyncSlot(at(10, 0, 7), 2_000)).toBe(at(10, 0, 8));
    expect(nextResyncSlot(at(10, 0, 0), 60 * 60_000)).toBe(at(11, 0, 0));
    expect(nextResyncSlot(at(7, 30, 0), 6 * 60 * 60_000)).toBe(at(12, 0, 0));
    expect(nextResyncSlot(at(23, 59, 59), 24 * 60 * 60_000)).toBe(new Date(2026, 10, 23, 0, 0, 0).getTime());
  });
});

describe("scheduleResync", () => {
  beforeEach(() => void vi.useFakeTimers({ now: at(10, 2, 10) }));
  afterEach(() => void vi.useRealTimers());

  it("runs at each slot plus the random delay, and stops", () => {
    const runs: number[] = [];
    const task = scheduleResync(
      5 * 60_000,
      30_000,
      () => runs.push(Date.now()),
      () => 0.5,
    );
    vi.advanceTimersByTime(at(10, 5, 14) - Date.now());
    expect(runs).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(runs).toEqual([at(10, 5, 15)]);
    vi.advanceTimersByTime(at(10, 20, 30) - Date.now());
    expect(runs).toEqual([at(10, 5, 15), at(10, 10, 15), at(10, 15, 15), at(10, 20, 15)]);
    task.stop();
    vi.advanceTimersByTime(60 * 60_000);
    expect(runs).toHaveLength(4);
  });

  it("caps the delay at half the interval; no delay runs at the slot", () => {
    const capped: number[] = [];
    const a = scheduleResync(
      10_000,
      30_000,
      () => capped.push(Date.now()),
      () => 0.999,
    );
    const exact: number[] = [];
    const b = scheduleResync(
      10_000,
      30_000,
      () => exact.push(Date.now()),
      () => 0,
    );
    vi.advanceTimersByTime(at(10, 2, 30) - Date.now());
    expect(exact).toEqual([at(10, 2, 20), at(10, 2, 30)]);
    expect(capped).toEqual([at(10, 2, 20) + 4_995]);
    a.destroy();
    b.destroy();
  });

  it("stop cancels a run waiting for its delay", () => {
    const runs: number[] = [];
    const task = scheduleResync(
      60_000,
      30_000,
      () => runs.push(Date.now()),
      () => 0.5,
    );
    vi.advanceTimersByTime(at(10, 3, 5) - Date.now());
    task.stop();
    vi.advanceTimersByTime(10 * 60_000);
    expect(runs).toEqual([]);
  });

  it("skips a slot it reaches more than the tolerance late (blocked loop, sleep), then keeps the schedule", () => {
    const runs: number[] = [];
    const task = scheduleResync(60_000, 0, () => runs.push(Date.now()));
    vi.setSystemTime(at(10, 3, 0) + RESYNC_MISSED_TOLERANCE_MS + 500); // the clock moved on, the timer did not fire
    vi.advanceTimersByTime(at(10, 4, 0) - Date.now());
    expect(runs).toEqual([at(10, 4, 0)]);
    task.stop();
  });

  it("refuses an interval cron could not schedule, as before", () => {
    expect(() => scheduleResync(7 * 60_000, 0, () => undefined)).toThrow(OptionError);
  });
});
