/**
 * A single-consumer async queue between the socket reader (producer, never blocked) and
 * a `for await` consumer. When more than `maxBuffered` items wait, the oldest are
 * dropped and the consumer receives `onOverflow(dropped)` in their place, so a slow
 * consumer costs bounded memory and learns that it must resync.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  private ended = false;
  private failure: unknown = undefined;
  private dropped = 0;

  constructor(
    private readonly maxBuffered: number,
    private readonly onOverflow: (dropped: number) => T,
    private readonly onReturn: () => void = () => {},
  ) {}

  get size(): number {
    return this.items.length - this.head + (this.dropped > 0 ? 1 : 0);
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (this.items.length - this.head > this.maxBuffered) {
      this.head++;
      this.dropped++;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Ends the stream; buffered items are still delivered, then `done` (or `error`). */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    if (this.waiter && this.items.length === this.head && this.dropped === 0) {
      const w = this.waiter;
      this.waiter = null;
      if (error !== undefined) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.dropped > 0) {
      const n = this.dropped;
      this.dropped = 0;
      return Promise.resolve({ value: this.onOverflow(n), done: false });
    }
    if (this.head < this.items.length) {
      const value = this.items[this.head++]!;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      if (this.failure !== undefined) {
        const f = this.failure;
        this.failure = undefined;
        return Promise.reject(f);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    this.items = [];
    this.head = 0;
    this.dropped = 0;
    this.onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
