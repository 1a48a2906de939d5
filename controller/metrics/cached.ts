/**
 * A value computed at most once per `maxAgeMs`: `get()` answers the held value while it is
 * younger than that, else computes it again (one computation at a time: concurrent callers
 * share it). A failed computation is not held: the error reaches the callers of that round and
 * the next `get()` tries again.
 *
 * For figures too costly to compute at every scrape (the fleet's compliance at 10,000 hosts):
 * a scrape costs one computation per `maxAgeMs` at most, whatever the scrape interval.
 */
export class Cached<T> {
  private held: { value: T; at: number } | undefined;
  private running: Promise<{ value: T; at: number }> | undefined;

  constructor(
    private readonly compute: () => Promise<T>,
    readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value and when it was computed (ms since the epoch). */
  get(): Promise<{ value: T; at: number }> {
    const held = this.held;
    if (held && this.now() - held.at < this.maxAgeMs) return Promise.resolve(held);
    this.running ??= this.compute().then(
      (value) => {
        this.running = undefined;
        this.held = { value, at: this.now() };
        return this.held;
      },
      (err: unknown) => {
        this.running = undefined;
        throw err;
      },
    );
    return this.running;
  }
}
