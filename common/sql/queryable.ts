/**
 * The portable query surface every table owner runs its SQL on, whatever the engine:
 * SQLite (common/sqlite AsyncDatabase: one connection behind a FIFO gate) or PostgreSQL
 * (common/postgres PgDatabase: a pool). Owners write one SQL text for both (the dialect
 * notes below); where the engines differ, `sqlFor` picks the text.
 *
 * Dialect (what both engines accept, so one text serves both):
 * - placeholders `?` (positional, params an array) or `@name` (params an object); PostgreSQL
 *   gets them rewritten to `$n`. Never both kinds in one statement.
 * - `INSERT … ON CONFLICT (…) DO UPDATE SET x = excluded.x` / `DO NOTHING`, `RETURNING`;
 *   not `INSERT OR IGNORE/REPLACE`.
 * - integers are 64-bit and come back as numbers (PostgreSQL BIGINT and NUMERIC are parsed
 *   into numbers: every integer we store is below 2^53); flags are INTEGER 0/1, never
 *   boolean; blobs are Buffers (BLOB / BYTEA).
 * - result column names: lower-case or quoted (`AS "lastSeen"`): PostgreSQL folds unquoted
 *   aliases to lower case.
 * - `rowid` is a real column on PostgreSQL tables whose queries order by it.
 * - LIKE is case-sensitive on PostgreSQL and not on SQLite (ASCII): compare lower(x).
 */
export type SqlValue = string | number | bigint | null | Buffer | Uint8Array;
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue | undefined>>;
export type Engine = "sqlite" | "postgres";

export interface RunResult {
  /** Rows the statement inserted, updated or deleted. */
  changes: number;
}

export interface TransactionOptions {
  /**
   * false: the commit need not reach the disk before the transaction resolves (SQLite:
   * synchronous=NORMAL for this commit; PostgreSQL: synchronous_commit=off). A crash may lose
   * it, never corrupt anything. For writes every agent restates on reconnect. Default true.
   * Ignored by a nested transaction (it commits with the outer one).
   */
  durable?: boolean;
  /**
   * true: a read-only transaction that sees one snapshot of the database for all its statements
   * (PostgreSQL: REPEATABLE READ, READ ONLY — its default gives each statement its own; SQLite:
   * every transaction is one). A write in it is refused. Ignored by a nested transaction.
   */
  readOnlySnapshot?: boolean;
}

/**
 * Contract (both engines):
 * - `all`/`get`/`run`/`exec` run one statement (`exec`: a script of several, no params) and
 *   resolve with its rows / first row / change count; they reject with the engine's error.
 * - `transaction(fn)` runs `fn(tx)` in one transaction; it commits when `fn`'s result settles
 *   and resolves only after the commit; when `fn` throws or rejects it rolls back and rejects
 *   with that error. `fn` must run its statements on `tx` only: a statement on the database
 *   handle while a transaction is open waits for it on SQLite (a deadlock) and runs outside
 *   it on PostgreSQL.
 * - nested: `tx.transaction(fn)` is a savepoint: its failure rolls back only its statements.
 *   Nested transactions of one transaction are sequential.
 * - a statement that fails inside a transaction: on PostgreSQL it aborts the transaction (every
 *   later statement is refused and the commit rejects with TransactionAbortedError, even when
 *   the caller caught the error); on SQLite the transaction carries on. A statement that may
 *   fail and be handled runs in a nested transaction, which both engines undo alone.
 * - a transaction handle is usable only until its transaction ends (DatabaseClosedError).
 * - concurrency: SQLite runs one operation at a time in call order; PostgreSQL runs
 *   transactions concurrently at READ COMMITTED. An owner that reads a row, decides, then
 *   writes it locks the row on PostgreSQL (`forUpdate(on)` after its SELECT) or writes with
 *   a condition in the statement itself.
 */
export interface Queryable {
  readonly engine: Engine;
  all<R = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<R[]>;
  get<R = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<R | undefined>;
  run(sql: string, params?: SqlParams): Promise<RunResult>;
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: Queryable) => T | Promise<T>, options?: TransactionOptions): Promise<T>;
}

/** The text for `on`'s engine, where the two dialects cannot share one. */
export function sqlFor(on: { readonly engine: Engine }, texts: { sqlite: string; postgres: string }): string {
  return texts[on.engine];
}

/** " FOR UPDATE" on PostgreSQL (locks the selected rows to the transaction's end); "" on SQLite. */
export function forUpdate(on: { readonly engine: Engine }): string {
  return on.engine === "postgres" ? " FOR UPDATE" : "";
}

/** The larger of `exprs` (SQL text): MAX(a, b) on SQLite, GREATEST(a, b) on PostgreSQL. */
export function greatest(on: { readonly engine: Engine }, ...exprs: string[]): string {
  return `${on.engine === "postgres" ? "GREATEST" : "MAX"}(${exprs.join(", ")})`;
}

/** The smaller of `exprs` (SQL text): MIN(a, b) on SQLite, LEAST(a, b) on PostgreSQL. */
export function least(on: { readonly engine: Engine }, ...exprs: string[]): string {
  return `${on.engine === "postgres" ? "LEAST" : "MIN"}(${exprs.join(", ")})`;
}
