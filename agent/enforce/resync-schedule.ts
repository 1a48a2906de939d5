import cron, { type ScheduledTask } from "node-cron";
import { OptionError } from "../../common/errors.js";

export const DEFAULT_RESYNC_INTERVAL_MS = 5 * 60_000;
/** Random delay added to each periodic re-check, so a fleet does not check in lockstep. */
export const DEFAULT_RESYNC_JITTER_MS = 30_000;

/**
 * The cron pattern (with seconds) for "every `intervalMs`". Cron counts from the top of the
 * minute/hour/day, so the interval must divide it evenly: 1-59 s dividing a minute, whole
 * minutes dividing an hour, or whole hours dividing a day. Throws OptionError naming
 * `option` otherwise.
 */
export function resyncCronPattern(intervalMs: number, option = "--resync-interval"): string {
  const bad = () => new OptionError(option, `${intervalMs} ms cannot be scheduled: use whole seconds dividing a minute (e.g. 30s), minutes dividing an hour (e.g. 5m, 15m) or hours dividing a day (e.g. 1h, 6h)`);
  if (!Number.isInteger(intervalMs) || intervalMs < 1_000 || intervalMs % 1_000 !== 0) throw bad();
  const s = intervalMs / 1_000;
  if (s < 60) {
    if (60 % s !== 0) throw bad();
    return s === 1 ? "* * * * * *" : `*/${s} * * * * *`;
  }
  if (s % 60 !== 0) throw bad();
  const m = s / 60;
  if (m < 60) {
    if (60 % m !== 0) throw bad();
    return m === 1 ? "0 * * * * *" : `0 */${m} * * * *`;
  }
  if (m % 60 !== 0) throw bad();
  const h = m / 60;
  if (h > 24 || 24 % h !== 0) throw bad();
  return h === 24 ? "0 0 0 * * *" : `0 0 */${h} * * *`;
}

/** Starts the periodic re-check (node-cron, unref'd, with random delay up to `jitterMs`). */
export function scheduleResync(intervalMs: number, jitterMs: number, run: () => void): ScheduledTask {
  const task = cron.schedule(resyncCronPattern(intervalMs), () => run(), {
    name: "virtfleet-resync",
    unref: true,
    noOverlap: true,
    maxRandomDelay: Math.max(0, Math.min(jitterMs, Math.floor(intervalMs / 2))),
    suppressMissedWarning: true,
  });
  return task;
}
