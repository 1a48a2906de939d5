import type Database from "better-sqlite3";
import { VirtfleetError } from "../errors.js";
import type { Queryable, RunResult, SqlParams, TransactionOptions } from "../sql/queryable.js";

type Connection = Database.Database;

/** A transaction handle was used after its transaction ended, or the database after close(). */
export class DatabaseClosedError extends VirtfleetError {
  constructor(message: string) {
    super("DATABASE_CLOSED", message);
  }
}

/** A nested transaction ended while one it contains was still open (savepoints out of order). */
export class TransactionOrderError extends VirtfleetError {
  constructor(message: string) {
    super("TRANSACTION_ORDER", message);
  }
}

/**
 * The SQLite handles: the portable Queryable (common/sql: what table owners use) plus
 * `read`/`write`, which run a synchronous function on the connection itself (backup, tests,
 * migrations' helpers). Owner methods take a Queryable as an optional last argument so a
 * caller can make them part of its transaction.
 *
 * Contract:
 * - `read(fn)` and `write(fn)` run `fn`'s statements without interleaving with any other
 *   work on the connection and return a Promise of its result (rejected with what it threw).
 *   `fn` is synchronous (it runs prepared statements); `read` promises not to write (an
 *   engine may route it elsewhere). `write` is not atomic: several statements need `transaction`.
 * - `transaction(fn)` runs `fn(tx)` in one transaction: it commits when `fn`'s result (a value
 *   or a Promise) settles, and resolves only after the commit; when `fn` throws or its Promise
 *   rejects, it rolls back and rejects with that error. While it is open no other caller's
 *   statement runs: `await` inside it lets other code run, but their database calls wait until
 *   it has committed or rolled back. So a transaction must only await work on `tx` (or cheap
 *   work without the database), never the database handle itself: that waits for the
 *   transaction to end, which waits for it — a deadlock.
 * - order: calls start in the order they were made (FIFO), whatever their kind.
 * - nested: `tx.transaction(fn)` is a savepoint inside the outer transaction: its throw rolls
 *   back only its own statements (and rejects), its success becomes durable with the outer
 *   commit. Nested transactions of one transaction are sequential: one must end before a
 *   sibling starts (else TransactionOrderError).
 * - a Transaction is usable only until its transaction ends (DatabaseClosedError after).
 * - SQLite only: a transaction started while the connection is inside a synchronous
 *   better-sqlite3 transaction opened directly on it (`connection.transaction(fn)()`, e.g. a
 *   test fixture) joins it as a savepoint; its function must then be synchronous.
 */
export interface SqliteQueryable extends Queryable {
  read<T>(fn: (db: Connection) => T): Promise<T>;
  write<T>(fn: (db: Connection) => T): Promise<T>;
  transaction<T>(fn: (tx: Transaction) => T | Promise<T>, options?: TransactionOptions): Promise<T>;
}

const statements = new WeakMap<Connection, Map<string, Database.Statement>>();

/** `sql` prepared once per connection (the portable calls' statement cache). */
function prepared(db: Connection, sql: string): Database.Statement {
  let byText = statements.get(db);
  if (!byText) statements.set(db, (byText = new Map()));
  let stmt = byText.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    if (byText.size > 2_000) byText.clear();
    byText.set(sql, stmt);
  }
  return stmt;
}

/** better-sqlite3's bind arguments for portable params (an array spreads; an object binds @names). */
function bindArgs(params: SqlParams | undefined): unknown[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? params : [params];
}

/** The portable statements over `runner` (the gate's read/write, or a transaction's). */
const portable = {
  all<R>(run: <T>(fn: (db: Connection) => T) => Promise<T>, sql: string, params?: SqlParams): Promise<R[]> {
    return run((db) => prepared(db, sql).all(...bindArgs(params)) as R[]);
  },
  get<R>(run: <T>(fn: (db: Connection) => T) => Promise<T>, sql: string, params?: SqlParams): Promise<R | undefined> {
    return run((db) => prepared(db, sql).get(...bindArgs(params)) as R | undefined);
  },
  run(run: <T>(fn: (db: Connection) => T) => Promise<T>, sql: string, params?: SqlParams): Promise<RunResult> {
    return run((db) => ({ changes: prepared(db, sql).run(...bindArgs(params)).changes }));
  },
};

function isThenable<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === "function";
}

/** Runs `fn` now: its value as a resolved Promise, its throw as a rejected one. */
function settle<T>(fn: (db: Connection) => T, db: Connection): Promise<T> {
  try {
    return Promise.resolve(fn(db));
  } catch (err) {
    return Promise.reject(err);
  }
}

const byConnection = new WeakMap<Connection, AsyncDatabase>();

/**
 * The asynchronous handle over one better-sqlite3 connection: a FIFO gate every operation
 * passes (Queryable's contract). better-sqlite3 is synchronous and has one connection, so a
 * transaction whose function awaits would otherwise let other callers' statements run inside
 * it; here they queue until it ends.
 *
 * Cost: a read/write when no transaction is open and nothing waits runs at once, in the
 * caller's turn, and costs one resolved Promise; a transaction whose function returns a value
 * (no Promise) begins, runs and commits in the caller's turn too. Only while a transaction is
 * open do calls queue (one closure each).
 *
 * There is one AsyncDatabase per connection (`AsyncDatabase.of`), so every owner built over the
 * same connection shares the gate. `connection` is for preparing statements (SQLite only: an
 * owner's statements are its engine-specific part).
 */
export class AsyncDatabase implements SqliteQueryable {
  readonly engine = "sqlite" as const;
  /** Operations waiting for the open transaction to end, in call order. */
  private queue: (() => void)[] = [];
  private head = 0;
  /** A transaction holds the connection. */
  private held = false;
  private draining = false;
  private closed = false;
  private readonly stmts;

  private constructor(readonly connection: Connection) {
    this.stmts = {
      begin: connection.prepare("BEGIN"),
      commit: connection.prepare("COMMIT"),
      rollback: connection.prepare("ROLLBACK"),
    };
  }

  /** The handle of `db`: the same one for every caller of one connection. */
  static of(db: Connection | AsyncDatabase): AsyncDatabase {
    if (db instanceof AsyncDatabase) return db;
    let handle = byConnection.get(db);
    if (!handle) byConnection.set(db, (handle = new AsyncDatabase(db)));
    return handle;
  }

  /** Operations waiting for the gate (for tests and metrics). */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  read<T>(fn: (db: Connection) => T): Promise<T> {
    return this.gate(fn);
  }

  write<T>(fn: (db: Connection) => T): Promise<T> {
    return this.gate(fn);
  }

  all<R = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<R[]> {
    return portable.all<R>((fn) => this.gate(fn), sql, params);
  }

  get<R = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<R | undefined> {
    return portable.get<R>((fn) => this.gate(fn), sql, params);
  }

  run(sql: string, params?: SqlParams): Promise<RunResult> {
    return portable.run((fn) => this.gate(fn), sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.gate((db) => {
      db.exec(sql);
    });
  }

  transaction<T>(fn: (tx: Transaction) => T | Promise<T>, options?: TransactionOptions): Promise<T> {
    if (this.closed) return Promise.reject(new DatabaseClosedError("the database is closed"));
    if (!this.held && this.waiting === 0) return this.open(fn, options);
    return new Promise<T>((resolve, reject) => this.enqueue(() => this.open(fn, options).then(resolve, reject)));
  }

  /** Waits for every queued operation, then closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.write(() => undefined);
    this.closed = true;
    byConnection.delete(this.connection);
    this.connection.close();
  }

  private gate<T>(fn: (db: Connection) => T): Promise<T> {
    if (this.closed) return Promise.reject(new DatabaseClosedError("the database is closed"));
    if (!this.held && this.queue.length === this.head) return settle(fn, this.connection);
    return new Promise<T>((resolve, reject) =>
      this.enqueue(() => {
        try {
          resolve(fn(this.connection));
        } catch (err) {
          reject(err);
        }
      }),
    );
  }

  private enqueue(job: () => void): void {
    this.queue.push(job);
  }

  /** Begins a transaction on the free connection and holds the gate until it ends. */
  private open<T>(fn: (tx: Transaction) => T | Promise<T>, options?: TransactionOptions): Promise<T> {
    // A synchronous better-sqlite3 transaction opened on the connection directly (a migration,
    // a test fixture) is running in this very turn: join it as a savepoint, synchronously.
    if (this.connection.inTransaction) return new Transaction(this.connection).transaction(fn);
    this.held = true;
    const relax = options?.durable === false;
    let previous = 0;
    const tx = new Transaction(this.connection);
    try {
      if (relax) {
        previous = this.connection.pragma("synchronous", { simple: true }) as number;
        if (previous > 1) this.connection.pragma("synchronous = NORMAL");
      }
      this.stmts.begin.run();
    } catch (err) {
      this.release(tx, relax, previous);
      return Promise.reject(err);
    }
    let result: T | Promise<T>;
    try {
      result = fn(tx);
    } catch (err) {
      this.end(tx, false, relax, previous);
      return Promise.reject(err);
    }
    if (!isThenable(result)) {
      try {
        this.end(tx, true, relax, previous);
      } catch (err) {
        return Promise.reject(err);
      }
      return Promise.resolve(result);
    }
    return result.then(
      (value) => {
        this.end(tx, true, relax, previous);
        return value;
      },
      (err: unknown) => {
        this.end(tx, false, relax, previous);
        throw err;
      },
    );
  }

  /** Commits (or rolls back) and releases the gate; a failed commit is rolled back and rethrown. */
  private end(tx: Transaction, commit: boolean, relax: boolean, previous: number): void {
    try {
      tx.closeNested();
      if (commit) this.stmts.commit.run();
      else if (this.connection.inTransaction) this.stmts.rollback.run();
    } catch (err) {
      if (this.connection.inTransaction) this.stmts.rollback.run();
      throw err;
    } finally {
      this.release(tx, relax, previous);
    }
  }

  private release(tx: Transaction, relax: boolean, previous: number): void {
    tx.ended = true;
    if (relax && previous > 1) this.connection.pragma(`synchronous = ${previous}`);
    this.held = false;
    this.drain();
  }

  /** Starts queued operations in order until one holds the gate (an asynchronous transaction). */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.held && this.head < this.queue.length) {
        const job = this.queue[this.head]!;
        this.queue[this.head++] = undefined as unknown as () => void;
        job();
      }
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
    } finally {
      this.draining = false;
    }
  }
}

/**
 * The Queryable of `handle`: a better-sqlite3 connection becomes its AsyncDatabase (the one
 * gate of that connection); a Queryable of either engine is returned as it is.
 */
export function queryableOf(handle: Connection | Queryable): Queryable {
  return "engine" in handle && (handle.engine === "sqlite" || handle.engine === "postgres")
    ? (handle as Queryable)
    : AsyncDatabase.of(handle as Connection);
}

/**
 * One open transaction (Queryable's contract): its read/write run at once, in the
 * transaction; `transaction` is a savepoint.
 */
export class Transaction implements SqliteQueryable {
  readonly engine = "sqlite" as const;
  /** Set when the transaction committed or rolled back. */
  ended = false;
  private depth = 0;

  constructor(private readonly connection: Connection) {}

  read<T>(fn: (db: Connection) => T): Promise<T> {
    if (this.ended) return Promise.reject(this.closedError());
    return settle(fn, this.connection);
  }

  write<T>(fn: (db: Connection) => T): Promise<T> {
    if (this.ended) return Promise.reject(this.closedError());
    return settle(fn, this.connection);
  }

  all<R = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<R[]> {
    return portable.all<R>((fn) => this.read(fn), sql, params);
  }

  get<R = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<R | undefined> {
    return portable.get<R>((fn) => this.read(fn), sql, params);
  }

  run(sql: string, params?: SqlParams): Promise<RunResult> {
    return portable.run((fn) => this.write(fn), sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.write((db) => {
      db.exec(sql);
    });
  }

  transaction<T>(fn: (tx: Transaction) => T | Promise<T>, _options?: TransactionOptions): Promise<T> {
    if (this.ended) return Promise.reject(this.closedError());
    const level = ++this.depth;
    const name = `vf_sp${level}`;
    try {
      this.connection.exec(`SAVEPOINT ${name}`);
    } catch (err) {
      this.depth--;
      return Promise.reject(err);
    }
    const finish = (ok: boolean): void => {
      if (this.depth !== level)
        throw new TransactionOrderError(
          `nested transaction ${level} ended while ${this.depth} were open: nested transactions must not overlap`,
        );
      this.depth--;
      if (!ok) this.connection.exec(`ROLLBACK TO ${name}`);
      this.connection.exec(`RELEASE ${name}`);
    };
    let result: T | Promise<T>;
    try {
      result = fn(this);
    } catch (err) {
      finish(false);
      return Promise.reject(err);
    }
    if (!isThenable(result)) {
      try {
        finish(true);
      } catch (err) {
        return Promise.reject(err);
      }
      return Promise.resolve(result);
    }
    return result.then(
      (value) => {
        if (this.ended) throw this.closedError();
        finish(true);
        return value;
      },
      (err: unknown) => {
        if (!this.ended) finish(false);
        throw err;
      },
    );
  }

  /** The outer transaction ends: savepoints still open are abandoned with it. */
  closeNested(): void {
    this.depth = 0;
  }

  private closedError(): DatabaseClosedError {
    return new DatabaseClosedError(
      "this transaction has already committed or rolled back: run the statement inside it or on the database",
    );
  }
}
