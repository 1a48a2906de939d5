import { setFlagsFromString } from "node:v8";
import { InvalidArgumentError } from "commander";

/**
 * How far V8 lets the agent's heap grow past its live data before the next full collection, in
 * percent. V8's own rule allows up to 4× on a machine with memory to spare. The agent's ~16 MB
 * of live data stayed flat over a 30-minute soak while its heap grew by ~13 MB/h of garbage
 * awaiting a full collection (docs/benchmarks.md, "The soak's growth"); 50 % gave it a ceiling.
 */
export const DEFAULT_AGENT_HEAP_GROWTH_PERCENT = 50;

/**
 * The controller's: memory is what limits how many agents one controller holds. 50 % kept a
 * 3,000-agent mTLS controller's heap at 142–155 MiB instead of 292 MiB for 0–9 % more CPU
 * (docs/design/scale.md, "Third round"); at 10,000 agents (~190 MiB of live data) 30 % took
 * another ~6–23 MiB off for 0–7 % more CPU, part of the margin that keeps the controller
 * under 1 GB there ("Eighth round").
 */
export const DEFAULT_CONTROLLER_HEAP_GROWTH_PERCENT = 30;
/** Above this the setting would allow more than V8's own 4× and means nothing. */
export const MAX_HEAP_GROWTH_PERCENT = 300;

/** Commander parser for --heap-growth: a whole number 0…MAX_HEAP_GROWTH_PERCENT (0: V8's own rule). */
export function heapGrowthArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > MAX_HEAP_GROWTH_PERCENT)
    throw new InvalidArgumentError(`"${value}" is not a whole number of percent from 0 to ${MAX_HEAP_GROWTH_PERCENT}`);
  return n;
}

/**
 * Sets V8's heap growing factor to 1 + percent/100 for the rest of this process (0 leaves
 * V8's own rule). V8 reads the setting at every full collection, so it applies from the next
 * one; only the controller and agent commands call this, never library code (it is process-wide).
 */
export function applyHeapGrowth(percent: number): void {
  const flag = heapGrowthV8Flag(percent);
  if (flag) setFlagsFromString(flag);
}

/** The V8 flag applyHeapGrowth sets, or undefined for 0 (V8's own rule). */
export function heapGrowthV8Flag(percent: number): string | undefined {
  return percent > 0 ? `--heap-growing-percent=${percent}` : undefined;
}
