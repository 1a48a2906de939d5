import type { Queryable, RunResult, SqlParams, TransactionOptions } from "../../common/index.js";

/**
 * `inner` with every write behind a fencing check: `run`, `exec` and `transaction` run in a
 * transaction that first calls `check(tx)` (which throws FencedError when this replica's epoch
 * is stale, and on PostgreSQL holds a share lock on the epoch row so that a new leader's epoch
 * bump waits for writes already checked). Reads (`all`, `get`, a `readOnlySnapshot`
 * transaction) go straight to `inner`: they change nothing. A transaction handle given to `fn` is `inner`'s (already checked).
 */
export class FencedQueryable implements Queryable {
  constructor(
    private readonly inner: Queryable,
    private readonly check: (tx: Queryable) => Promise<void>,
  ) {}

  get engine(): Queryable["engine"] {
    return this.inner.engine;
  }

  all<R = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<R[]> {
    return this.inner.all<R>(sql, params);
  }

  get<R = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<R | undefined> {
    return this.inner.get<R>(sql, params);
  }

  run(sql: string, params?: SqlParams): Promise<RunResult> {
    return this.transaction((tx) => tx.run(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.transaction((tx) => tx.exec(sql));
  }

  transaction<T>(fn: (tx: Queryable) => T | Promise<T>, options?: TransactionOptions): Promise<T> {
    // a read-only snapshot writes nothing: nothing to fence
    if (options?.readOnlySnapshot) return this.inner.transaction(fn, options);
    return this.inner.transaction(async (tx) => {
      await this.check(tx);
      return fn(tx);
    }, options);
  }
}
