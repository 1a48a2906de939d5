/**
 * Delay before reconnect attempt `attempt` (0 for the first): `initialMs · 2^attempt`
 * capped at `maxMs`, then jittered uniformly into [half of it, all of it] so that many
 * agents losing one daemon do not come back in step.
 */
export function reconnectDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 20));
  return Math.round(base / 2 + random() * (base / 2));
}
