/**
 * Collects items and hands them to `flush` together: every item added before a flush starts
 * (it starts `delayMs` after the first item, 0: at the next turn of the event loop). One flush
 * runs at a time; items added meanwhile wait for the next, so a busy store gets larger batches.
 * `flush` must not reject (it handles its own errors); a rejection is dropped.
 */
export class Batcher<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly delayMs = 0,
  ) {}

  add(...items: T[]): void {
    this.items.push(...items);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.running || this.items.length === 0) return;
    this.timer = setTimeout(() => void this.run(), this.delayMs);
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    this.running = true;
    const items = this.items.splice(0);
    try {
      await this.flush(items);
    } catch {
      // flush handles its errors
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
