/**
 * Calls waiting for the connection to become ready, each within its own deadline.
 *
 * Contract: a waiter is settled exactly once: by `resolveAll()`, by `rejectAll(err)`, by
 * its deadline (`timeoutError()`) or by its abort signal (the signal's reason); its timer
 * and abort listener are removed then. Timers never keep the process alive.
 */
interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class ReadyWaiters {
  private readonly waiters = new Set<Waiter>();

  wait(timeoutMs: number, signal: AbortSignal | undefined, timeoutError: () => Error): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          cleanup();
          resolve();
        },
        reject: (e: unknown) => {
          cleanup();
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        cleanup();
        reject(timeoutError());
      }, timeoutMs);
      timer.unref();
      const onAbort = () => {
        this.waiters.delete(waiter);
        cleanup();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      this.waiters.add(waiter);
    });
  }

  resolveAll(): void {
    const all = [...this.waiters];
    this.waiters.clear();
    for (const w of all) w.resolve();
  }

  rejectAll(err: unknown): void {
    const all = [...this.waiters];
    this.waiters.clear();
    for (const w of all) w.reject(err);
  }
}
