/** Reads per host that run at once (the pool holds 10 connections; the rest of the controller needs some). */
export const READS_AT_ONCE = 4;

/**
 * `fn` for each of `items`, READS_AT_ONCE at a time (thousands of hosts' store reads after a
 * fleet-wide signal or a fan-out). Items' order across batches is kept; within one batch they
 * run together.
 */
export async function inBatches<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += READS_AT_ONCE) await Promise.all(items.slice(i, i + READS_AT_ONCE).map(fn));
}
