import {
  greatest,
  jsonTextList,
  queryableOf,
  sqlFor,
  type Queryable,
  type SqliteDatabase,
} from "../../common/index.js";
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

/** A host's observed generation and revision, as one report set them (recordObservedMany). */
export interface ObservedRow {
  host: string;
  generation: number;
  revision: string;
}

/** The statements, one text for both engines (common/sql's dialect) unless split by engine. */
const SQL = {
  lastSeq: "SELECT last_event_seq FROM hosts WHERE name = ?",
  /** + jsonTextList + orderByName (+ lockHostRows): the last event_seq of a set of hosts. */
  lastSeqs: "SELECT name, last_event_seq FROM hosts WHERE name IN",
  /** PostgreSQL: advanceEventSeq for a set of hosts in one statement (rows: a JSON array). */
  advanceMany: `UPDATE hosts AS h SET last_event_seq = GREATEST(h.last_event_seq, v.seq)
     FROM json_to_recordset(?::json) AS v(host text, seq bigint) WHERE h.name = v.host`,
  /** PostgreSQL: recordObserved for a set of hosts in one statement (rows: a JSON array). */
  observedMany: `UPDATE hosts AS h SET observed_generation = v.generation, observed_revision = v.revision, last_report_at = ?
     FROM json_to_recordset(?::json) AS v(host text, generation bigint, revision text) WHERE h.name = v.host`,
  observed: "UPDATE hosts SET observed_generation = ?, observed_revision = ?, last_report_at = ? WHERE name = ?",
  states: "SELECT name, connected, observed_generation, last_report_at FROM hosts",
  stateOf: "SELECT name, connected, observed_generation, last_report_at FROM hosts WHERE name = ?",
};

/**
 * Rows in byte order of their names (row-lock.ts: the order every transaction locking several
 * hosts locks them in; PostgreSQL's default collation would sort otherwise).
 */
const orderByName = (on: Queryable): string =>
  sqlFor(on, { sqlite: " ORDER BY name", postgres: ' ORDER BY name COLLATE "C"' });

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

  /**
   * `lastEventSeq` for a set of hosts in one statement: each known host's highest stored
   * event_seq (unknown hosts are absent). With `{ forUpdate: true }` the rows are locked in
   * byte order of the names, until `on`'s transaction ends (LastEventSeqOptions): two
   * transactions locking overlapping sets wait for each other, never in a cycle.
   */
  async lastEventSeqs(
    hosts: readonly string[],
    on: Queryable = this.db,
    options: LastEventSeqOptions = {},
  ): Promise<Map<string, number>> {
    if (hosts.length === 0) return new Map();
    const sql = `${SQL.lastSeqs} ${jsonTextList(on)}${orderByName(on)}${options.forUpdate ? lockHostRows(on) : ""}`;
    const rows = await on.all<{ name: string; last_event_seq: number }>(sql, [JSON.stringify([...new Set(hosts)])]);
    return new Map(rows.map((r) => [r.name, Number(r.last_event_seq)]));
  }

  /** Raises `host`'s last event_seq to `seq` (never lowers it). */
  async advanceEventSeq(host: string, seq: number, on: Queryable = this.db): Promise<void> {
    await on.run(advanceSql(on), [seq, host]);
  }

  /**
   * `advanceEventSeq` for each host of `seqs` (host → seq): one statement on PostgreSQL, one
   * per host on SQLite (in-process: no round trip to save). Unknown hosts are ignored. On
   * PostgreSQL the rows are updated in whatever order the plan visits them: lock them first
   * (`lastEventSeqs` with forUpdate) when other transactions may write them.
   */
  async advanceEventSeqs(seqs: ReadonlyMap<string, number>, on: Queryable = this.db): Promise<void> {
    if (seqs.size === 0) return;
    if (on.engine === "postgres") {
      await on.run(SQL.advanceMany, [JSON.stringify([...seqs].map(([host, seq]) => ({ host, seq })))]);
      return;
    }
    for (const [host, seq] of seqs) await on.run(advanceSql(on), [seq, host]);
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

  /**
   * `recordObserved` for several hosts at `now` (at most one row per host): one statement on
   * PostgreSQL, one per host on SQLite. Lock the rows first, as for advanceEventSeqs.
   */
  async recordObservedMany(rows: readonly ObservedRow[], now: number, on: Queryable = this.db): Promise<void> {
    if (rows.length === 0) return;
    if (on.engine === "postgres") {
      await on.run(SQL.observedMany, [now, JSON.stringify(rows.map((r) => ({ ...r })))]);
      return;
    }
    for (const r of rows) await on.run(SQL.observed, [r.generation, r.revision, now, r.host]);
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
