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
  const bad = () =>
    new OptionError(
      option,
      `${intervalMs} ms cannot be scheduled: use whole seconds dividing a minute (e.g. 30s), minutes dividing an hour (e.g. 5m, 15m) or hours dividing a day (e.g. 1h, 6h)`,
    );
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

/** A slot this much late (the event loop was blocked, the machine slept) is skipped, not run late. */
export const RESYNC_MISSED_TOLERANCE_MS = 1_000;

/** The periodic re-check's handle: `stop()` (and its alias `destroy()`) cancels it, including a run waiting for its random delay. */
export interface ResyncTask {
  stop(): void;
  destroy(): void;
}

/**
 * The first slot after `t` (epoch ms): the next instant whose local time of day is a multiple
 * of `intervalMs`, which is what the cron pattern of resyncCronPattern matches (an interval
 * that divides a minute, an hour or a day counts from the top of it).
 */
export function nextResyncSlot(t: number, intervalMs: number): number {
  const d = new Date(t);
  const intoDay = ((d.getHours() * 60 + d.getMinutes()) * 60 + d.getSeconds()) * 1_000 + d.getMilliseconds();
  return t - (intoDay % intervalMs) + intervalMs;
}

/**
 * Starts the periodic re-check: `run` at every slot of `intervalMs` (see resyncCronPattern),
 * each after a random delay up to `jitterMs` (at most half the interval), on unref'd timers.
 * A slot found more than RESYNC_MISSED_TOLERANCE_MS late is skipped, and so is one arriving
 * while the previous run still waits for its delay. One timer to the next slot, no ticking:
 * this replaces node-cron, which did the same with the same pattern but formats dates with
 * Intl.DateTimeFormat, whose ICU data alone kept ~8 MB resident in the agent.
 */
export function scheduleResync(
  intervalMs: number,
  jitterMs: number,
  run: () => void,
  random: () => number = Math.random,
): ResyncTask {
  resyncCronPattern(intervalMs); // the same intervals as before, the same OptionError otherwise
  const maxDelayMs = Math.max(0, Math.min(jitterMs, Math.floor(intervalMs / 2)));
  let slot = nextResyncSlot(Date.now(), intervalMs);
  let beat: NodeJS.Timeout | undefined;
  let delayed: NodeJS.Timeout | undefined;
  let stopped = false;

  const arm = () => {
    beat = setTimeout(onBeat, Math.max(0, slot - Date.now()));
    beat.unref();
  };
  const onBeat = () => {
    if (stopped) return;
    const now = Date.now();
    if (now < slot) return arm(); // a timer may fire a millisecond early
    const due = now - slot <= RESYNC_MISSED_TOLERANCE_MS && delayed === undefined;
    slot = nextResyncSlot(now, intervalMs);
    arm();
    if (!due) return;
    const delayMs = Math.floor(random() * maxDelayMs);
    if (delayMs <= 0) return run();
    delayed = setTimeout(() => {
      delayed = undefined;
      if (!stopped) run();
    }, delayMs);
    delayed.unref();
  };

  arm();
  const stop = () => {
    stopped = true;
    clearTimeout(beat);
    clearTimeout(delayed);
    delayed = undefined;
  };
  return { stop, destroy: stop };
}
