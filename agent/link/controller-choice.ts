/**
 * Which controller an agent tries, when there are several replicas (`--controller a,b,c`).
 * Pure: no timers, no I/O; the link (controller-link.ts) and enrolment use it.
 *
 * Each host tries the replicas in an order of its own, a permutation drawn from a generator
 * seeded by a stable hash of its host name: a fleet's first choices spread evenly over the
 * replicas, and the hosts of a replica that fails spread evenly over the others (a plain
 * rotation would send them all to the same next one). The same name always gives the same
 * order, so a host comes back to the same replica after a restart.
 */

/** FNV-1a, 32 bits, over the name's UTF-8 bytes: stable across runs, processes and versions. */
export function hostNameHash(name: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: a small deterministic generator of uniform [0, 1) draws. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The order (indices 0..count-1, each once) in which host `hostName` tries `count` controllers. */
export function controllerOrder(hostName: string, count: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  const next = generator(hostNameHash(hostName));
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** `controllers` in the order host `hostName` tries them (controllerOrder). */
export function inHostOrder<T>(controllers: readonly T[], hostName: string): T[] {
  return controllerOrder(hostName, controllers.length).map((i) => controllers[i]!);
}

/**
 * Where the link stands in its list: the controller of the next attempt (`index`), and for each
 * controller the time before which it asked not to be called again (its Goodbye.retry_after_ms,
 * or a share of its reconnect spread after it broke a welcomed stream): those waits belong to
 * the controller that gave them, not to its replicas. Times are the caller's monotonic clock
 * (the link uses performance.now()), so a step of the wall clock stretches no wait.
 */
export interface ControllerChoice {
  readonly index: number;
  readonly notBeforeMs: readonly number[];
}

export function firstChoice(count: number): ControllerChoice {
  if (count < 1) throw new Error("the controller link needs at least one controller address");
  return { index: 0, notBeforeMs: new Array<number>(count).fill(0) };
}

/**
 * After a failed attempt or a broken stream on the current controller: records that it asked
 * for `waitMs` (0: nothing) from `nowMs`, and moves to the next controller in the list (the same
 * one when there is only one).
 */
export function afterFailure(c: ControllerChoice, nowMs: number, waitMs: number): ControllerChoice {
  const notBeforeMs = [...c.notBeforeMs];
  notBeforeMs[c.index] = Math.max(notBeforeMs[c.index]!, nowMs + Math.max(0, waitMs));
  return { index: (c.index + 1) % notBeforeMs.length, notBeforeMs };
}

/** How long (whole ms) the next attempt, to `c.index`, must wait at least for that controller's own request. */
export function waitForChosen(c: ControllerChoice, nowMs: number): number {
  return Math.max(0, Math.ceil(c.notBeforeMs[c.index]! - nowMs)); // whole ms: fractional clocks
}
