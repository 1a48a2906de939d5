/**
 * Maps `items` through `fn` with at most `limit` calls in flight, preserving order.
 * A rejection of `fn` rejects the whole call after in-flight calls settle; callers that
 * want per-item failure handling catch inside `fn`.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failed === null && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  if (failed !== null) throw (failed as { error: unknown }).error;
  return results;
}

/** Error thrown by `withTimeout` when `ms` passes first. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
  readonly code = "TIMEOUT";
}

/**
 * Resolves like `promise`, or rejects with a TimeoutError naming `what` after `ms`. The
 * timer does not keep the process alive. The underlying operation is not cancelled.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
