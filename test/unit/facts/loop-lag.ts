import { monitorEventLoopDelay } from "node:perf_hooks";

/**
 * Watches the event loop until `stop()`: a 1 ms interval timer measures how late each
 * tick fires, and perf_hooks' delay histogram does the same from libuv. `stop()` resolves
 * the longest block seen by either, in ms (timer granularity subtracted).
 */
export function watchEventLoop(): { stop: () => Promise<number> } {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  return {
    stop: async () => {
      // One more tick so a block at the very end is measured too.
      await new Promise((r) => setTimeout(r, 2));
      clearInterval(timer);
      histogram.disable();
      return Math.max(worst, histogram.max / 1e6 - 1, 0);
    },
  };
}
