import { greatest, queryableOf, type Queryable, type SqliteDatabase } from "../../common/index.js";
import { lockHostRows } from "./row-lock.js";

/** A host's convergence state as compliance reads it (connected as stored: buffered liveness is not applied). */
export interface HostObservedState {
  name: string;
  connected: boolean;
  /** Bundle generation the host last reported converging (0: none). */
  observedGeneration: number;
  /** When the host's last non-dry-run report was stored (ms), or null. */
  lastReportAt: number | null;
}

/** How `lastEventSeq` reads. */
export interface LastEventSeqOptions {
  /**
   * Lock the host's row until the end of the transaction `on` belongs to (PostgreSQL:
   * SELECT … FOR NO KEY UPDATE, row-lock.ts; SQLite: nothing to do, its transactions never
   * overlap). Another
   * transaction's `lastEventSeq(host, tx, { forUpdate: true })` for the same host then waits
   * until this one commits or rolls back, and reads what it stored. `on` must be a
   * transaction: on the database handle the lock ends with the statement.
   */
  forUpdate?: boolean;
}

/** The statements, one text for both engines (common/sql's dialect). */
const SQL = {
  lastSeq: "SELECT last_event_seq FROM hosts WHERE name = ?",
  observed: "UPDATE hosts SET observed_generation = ?, observed_revision = ?, last_report_at = ? WHERE name = ?",
  states: "SELECT name, connected, observed_generation, last_report_at FROM hosts",
  stateOf: "SELECT name, connected, observed_generation, last_report_at FROM hosts WHERE name = ?",
};

/** advanceEventSeq's statement on `on`'s engine (scalar MAX / GREATEST). */
const advanceSql = (on: Queryable): string =>
  `UPDATE hosts SET last_event_seq = ${greatest(on, "last_event_seq", "?")} WHERE name = ?`;

/**
 * The columns of `hosts` that agents' reports set (schema step 3: last_event_seq,
 * observed_generation, observed_revision, last_report_at), for controller/ingest, which writes
 * them inside its event transaction, and controller/compliance, which reads them. Unlike
 * HostStore nothing is buffered here: any number of instances over one database agree.
 * Runs on either engine (common/sql Queryable); every method runs on `on` when given.
 *
 * Concurrency (PostgreSQL, several controllers): ingest decides which events are new from
 * `lastEventSeq` and then raises it; two transactions for the same host must not both decide
 * from the same value, so ingest reads it with `{ forUpdate: true }` inside its transaction
 * (the row stays locked until that transaction ends). A transaction that locks several hosts
 * locks them in byte order of their names (as HostStore's flush does), so none wait in a cycle.
 */
export class HostObservations {
  private readonly db: Queryable;

  constructor(handle: SqliteDatabase | Queryable) {
    this.db = queryableOf(handle);
  }

  /**
   * The highest event_seq stored for `host`; undefined for an unknown host. With
   * `{ forUpdate: true }` the host's row is locked until `on`'s transaction ends
   * (LastEventSeqOptions).
   */
  async lastEventSeq(
    host: string,
    on: Queryable = this.db,
    options: LastEventSeqOptions = {},
  ): Promise<number | undefined> {
    const sql = options.forUpdate ? `${SQL.lastSeq}${lockHostRows(on)}` : SQL.lastSeq;
    return (await on.get<{ last_event_seq: number }>(sql, [host]))?.last_event_seq;
  }

  /** Raises `host`'s last event_seq to `seq` (never lowers it). */
  async advanceEventSeq(host: string, seq: number, on: Queryable = this.db): Promise<void> {
    await on.run(advanceSql(on), [seq, host]);
  }

  /** Records the bundle generation and revision `host` reported converging, at `now`. */
  async recordObserved(
    host: string,
    generation: number,
    revision: string,
    now: number,
    on: Queryable = this.db,
  ): Promise<void> {
    await on.run(SQL.observed, [generation, revision, now, host]);
  }

  /** Every host's observed state, or only `host`'s (none for an unknown host). */
  async states(host?: string, on: Queryable = this.db): Promise<HostObservedState[]> {
    const rows = host === undefined ? await on.all<DbState>(SQL.states) : await on.all<DbState>(SQL.stateOf, [host]);
    return rows.map((h) => ({
      name: h.name,
      connected: h.connected === 1,
      observedGeneration: h.observed_generation,
      lastReportAt: h.last_report_at,
    }));
  }
}

interface DbState {
  name: string;
  connected: number;
  observed_generation: number;
  last_report_at: number | null;
}
