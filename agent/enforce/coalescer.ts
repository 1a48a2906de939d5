/**
 * Collects keys and hands them over in one batch `delayMs` after the first key of a burst
 * arrived (not after the last: a steady stream of events cannot postpone a check forever).
 * The timer never keeps the process alive.
 */
export class Coalescer<K> {
  private keys = new Set<K>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly flush: (keys: Set<K>) => void,
  ) {}

  add(...keys: K[]): void {
    for (const k of keys) this.keys.add(k);
    if (this.timer || this.keys.size === 0) return;
    this.timer = setTimeout(() => this.fire(), this.delayMs);
    this.timer.unref();
  }

  get pending(): number {
    return this.keys.size;
  }

  /** Drops what is pending without flushing. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.keys = new Set();
  }

  private fire(): void {
    this.timer = undefined;
    const batch = this.keys;
    this.keys = new Set();
    if (batch.size > 0) this.flush(batch);
  }
}
