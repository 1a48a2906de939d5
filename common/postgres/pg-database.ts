import { readFileSync } from "node:fs";
import pg from "pg";
import { VirtfleetError } from "../errors.js";
import { DatabaseClosedError, TransactionOrderError } from "../sqlite/async-database.js";
import { numberPlaceholders } from "../sql/placeholders.js";
import type { Queryable, RunResult, SqlParams, TransactionOptions } from "../sql/queryable.js";
import { classifyPgError, StoreUnavailableError } from "./errors.js";
import { describeTarget } from "./target.js";

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** BIGINT and NUMERIC as numbers (every integer we store is below 2^53); the rest as pg parses them. */
const numberTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloads take the format as a union
    return pg.types.getTypeParser(oid, format as any);
  },
};

export interface PgConnectOptions {
  /** postgres://user@host:port/db?sslmode=…; no password in it (refused by the caller). */
  url: string;
  /** A file whose first line is the password (else PGPASSFILE / ~/.pgpass, as libpq). */
  passwordFile?: string;
  /** Pool size (default 10). */
  max?: number;
  /** How long a connection (new, or a pooled one to become free) may take (default 10 s). */
  connectionTimeoutMs?: number;
  /** application_name the server shows in pg_stat_activity. */
  applicationName?: string;
  /** Told when an idle pooled connection failed (the pool replaces it). */
  warn?: (message: string) => void;
}

/**
 * The PostgreSQL engine of the portable Queryable: a pg.Pool. Statements run on any free
 * pooled connection; a transaction holds one connection from BEGIN to COMMIT. Session state
 * (LISTEN, session advisory locks) needs `dedicatedClient()`: a pooled connection is handed
 * to others between statements and would silently lose it.
 */
export class PgDatabase implements Queryable {
  readonly engine = "postgres" as const;
  private closed = false;

  private constructor(
    readonly pool: pg.Pool,
    /** Where the store is, for messages: host, port, database, user; never the password. */
    readonly target: string,
    private readonly clientConfig: pg.ClientConfig,
    /** The pool's size. */
    private readonly poolMax: number,
  ) {}

  /**
   * Connects and checks one connection works; rejects with StoreUnavailableError (unreachable,
   * authentication) naming the server, never the password.
   */
  static async connect(options: PgConnectOptions): Promise<PgDatabase> {
    const target = describeTarget(options.url);
    let password: string | undefined;
    if (options.passwordFile) {
      try {
        password = readFileSync(options.passwordFile, "utf8").split("\n")[0]!.trimEnd();
      } catch (err) {
        throw new StoreUnavailableError(
          "config",
          `cannot read the PostgreSQL password file ${options.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? err}`,
        );
      }
    }
    const clientConfig: pg.ClientConfig = {
      // pg lets the connection string's fields override the config's: the password goes into
      // the (in-memory only) URL
      connectionString: password === undefined ? options.url : withPassword(options.url, password),
      application_name: options.applicationName ?? "virtfleet",
      types: numberTypes,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    };
    const max = options.max ?? 10;
    const pool = new pg.Pool({ ...clientConfig, max, idleTimeoutMillis: 30_000 });
    pool.on("error", (err) =>
      options.warn?.(
        `PostgreSQL at ${target}: an idle connection failed (${(err as { code?: string }).code ?? err.message})`,
      ),
    );
    const db = new PgDatabase(pool, target, clientConfig, max);
    try {
      await pool.query("SELECT 1");
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw classifyPgError(err, target) ?? err;
    }
    return db;
  }

  all<R = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<R[]> {
    return this.query<R>(this.pool, sql, params).then((r) => r.rows);
  }

  get<R = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<R | undefined> {
    return this.query<R>(this.pool, sql, params).then((r) => r.rows[0]);
  }

  run(sql: string, params?: SqlParams): Promise<RunResult> {
    return this.query(this.pool, sql, params).then((r) => ({ changes: r.rowCount ?? 0 }));
  }

  async exec(sql: string): Promise<void> {
    this.checkOpen();
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => T | Promise<T>, options?: TransactionOptions): Promise<T> {
    this.checkOpen();
    const client = await this.pool.connect().catch((err: unknown) => {
      throw this.classify(err);
    });
    const tx = new PgTransaction(client, this.target);
    let broken: Error | undefined;
    // The pool listens for errors only on idle connections: a connection that dies while this
    // transaction holds it (between two statements) must not crash the process. Its next
    // statement rejects; the connection is thrown away on release.
    const onError = (err: Error): void => {
      broken = err;
    };
    client.on("error", onError);
    try {
      await client.query(options?.readOnlySnapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY" : "BEGIN");
      if (options?.durable === false) await client.query("SET LOCAL synchronous_commit = off");
      const value = await fn(tx);
      tx.closeNested();
      // PostgreSQL answers COMMIT of a transaction a failed statement aborted with ROLLBACK
      // (no error): a caller that caught that statement's error must not believe it committed.
      const commit = await client.query("COMMIT");
      if (commit.command === "ROLLBACK") throw new TransactionAbortedError(this.target, tx.failure);
      return value;
    } catch (err) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackErr) {
        broken = rollbackErr as Error;
      }
      throw classifyPgError(err, this.target) ?? err;
    } finally {
      tx.ended = true;
      client.off("error", onError);
      client.release(broken);
    }
  }

  /**
   * A connection of its own, outside the pool, for session state (LISTEN, advisory locks).
   * The caller ends it; its 'error' event must be handled.
   */
  async dedicatedClient(applicationName?: string): Promise<pg.Client> {
    this.checkOpen();
    const client = new pg.Client({
      ...this.clientConfig,
      ...(applicationName ? { application_name: applicationName } : {}),
    });
    try {
      await client.connect();
    } catch (err) {
      throw classifyPgError(err, this.target) ?? err;
    }
    return client;
  }

  /** Ends every pooled connection once its work is done. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async query<R>(
    on: pg.Pool | pg.PoolClient,
    sql: string,
    params?: SqlParams,
  ): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
    this.checkOpen();
    const { text, values } = numberPlaceholders(sql, params);
    try {
      return await on.query<R & pg.QueryResultRow>(text, values);
    } catch (err) {
      throw this.classify(err);
    }
  }

  /**
   * classifyPgError, except that pg.Pool's "timeout exceeded when trying to connect" while
   * every pooled connection is in use is "busy" (waiting for a free connection of our own),
   * not "unreachable" (the server may be perfectly reachable).
   */
  private classify(err: unknown): unknown {
    const message = (err as Error | undefined)?.message ?? "";
    if (/timeout exceeded when trying to connect/i.test(message) && this.pool.totalCount >= this.poolMax)
      return new StoreUnavailableError(
        "busy",
        `PostgreSQL at ${this.target}: all ${this.poolMax} pooled connections of this controller stayed in use past the connection timeout: the store is not keeping up with the load (the server itself answers)`,
        { cause: err },
      );
    return classifyPgError(err, this.target) ?? err;
  }

  private checkOpen(): void {
    if (this.closed) throw new DatabaseClosedError("the database is closed");
  }
}

/**
 * A transaction whose function resolved although one of its statements had failed (the error
 * was caught): PostgreSQL rolled it back at COMMIT. Statements that may fail and be handled
 * belong in a nested transaction (a savepoint), which both engines undo alone.
 */
export class TransactionAbortedError extends VirtfleetError {
  constructor(target: string, failure: unknown) {
    super(
      "TRANSACTION_ABORTED",
      `PostgreSQL at ${target} rolled the transaction back: a statement in it failed (${(failure as Error | undefined)?.message ?? "unknown"}) and its error was caught; nothing was committed`,
      { cause: failure },
    );
  }
}

/** `url` with `password` in it (kept in memory: never logged, never in argv). */
function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.href;
}

/** One open PostgreSQL transaction on its connection; `transaction` is a savepoint. */
class PgTransaction implements Queryable {
  readonly engine = "postgres" as const;
  ended = false;
  /** The first statement that failed in it (PostgreSQL then refuses every statement until a rollback). */
  failure: unknown;
  private depth = 0;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly target: string,
  ) {}

  all<R = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<R[]> {
    return this.query<R>(sql, params).then((r) => r.rows);
  }

  get<R = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<R | undefined> {
    return this.query<R>(sql, params).then((r) => r.rows[0]);
  }

  run(sql: string, params?: SqlParams): Promise<RunResult> {
    return this.query(sql, params).then((r) => ({ changes: r.rowCount ?? 0 }));
  }

  async exec(sql: string): Promise<void> {
    this.checkOpen();
    await this.client.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => T | Promise<T>, _options?: TransactionOptions): Promise<T> {
    this.checkOpen();
    const level = ++this.depth;
    const name = `vf_sp${level}`;
    try {
      await this.client.query(`SAVEPOINT ${name}`);
    } catch (err) {
      this.depth--;
      throw err;
    }
    const finish = async (ok: boolean): Promise<void> => {
      if (this.depth !== level)
        throw new TransactionOrderError(
          `nested transaction ${level} ended while ${this.depth} were open: nested transactions must not overlap`,
        );
      this.depth--;
      if (ok) {
        try {
          await this.client.query(`RELEASE SAVEPOINT ${name}`);
          return;
        } catch (err) {
          // a statement inside failed and its error was caught: undo the savepoint's work
          const cause = this.failure ?? err;
          await this.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
          await this.client.query(`RELEASE SAVEPOINT ${name}`);
          this.failure = undefined;
          throw cause;
        }
      }
      await this.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      await this.client.query(`RELEASE SAVEPOINT ${name}`);
      // the outer transaction is usable again
      this.failure = undefined;
    };
    let value: T;
    try {
      value = await fn(this);
    } catch (err) {
      if (!this.ended) await finish(false);
      throw err;
    }
    this.checkOpen();
    await finish(true);
    return value;
  }

  closeNested(): void {
    this.depth = 0;
  }

  private async query<R>(sql: string, params?: SqlParams): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
    this.checkOpen();
    const { text, values } = numberPlaceholders(sql, params);
    try {
      return await this.client.query<R & pg.QueryResultRow>(text, values);
    } catch (err) {
      this.failure ??= err;
      throw classifyPgError(err, this.target) ?? err;
    }
  }

  private checkOpen(): void {
    if (this.ended)
      throw new DatabaseClosedError(
        "this transaction has already committed or rolled back: run the statement inside it or on the database",
      );
  }
}
