/**
 * Capped exponential backoff with full jitter (AWS "full jitter"): attempt n (0-based)
 * waits a uniformly random time in [floor, min(cap, initial * multiplier^n)], where
 * floor = initial/2 so a reconnect storm is spread but never hammers with zero delays.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, multiplier: 2 };

export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(opts.maxMs, opts.initialMs * opts.multiplier ** Math.max(0, attempt));
  const floor = Math.min(opts.initialMs / 2, ceiling);
  return Math.round(floor + random() * (ceiling - floor));
}
