import { jsonTextList, queryableOf, type Queryable, type SqliteDatabase } from "../../common/index.js";
import { changedSections } from "./changed-sections.js";
import { HostRecordConflictError } from "./errors.js";
import { lockHostRows } from "./row-lock.js";

/** A host as the store knows it. Times are ms since the epoch. */
export interface HostRow {
  name: string;
  firstSeen: number;
  lastSeen: number;
  connected: boolean;
  connectedSince: number | null;
  agentVersion: string;
  factsJson: string;
  factsFingerprint: string;
  sessionId: string;
  peer: string;
  disconnectReason: string;
  lastAgentSeq: number;
  lastControllerSeq: number;
  /** Highest Report/DriftEvent event_seq stored for this host. */
  lastEventSeq: number;
  /** Bundle generation/revision the host last reported converging (observedGeneration). */
  observedGeneration: number;
  observedRevision: string;
  lastReportAt: number | null;
  /** The controller replica holding the host's stream (when connected) or that last held it; '' for a single SQLite controller. */
  replica: string;
}

export interface FactChangeRow {
  changedAt: number;
  factsFingerprint: string;
  changedSections: string[];
}

export interface HelloRecord {
  name: string;
  agentVersion: string;
  factsJson: string;
  factsFingerprint: string;
  sessionId: string;
  peer: string;
  now: number;
  /** The replica accepting the stream (hosts.replica); '' (the default) for a single SQLite controller. */
  replica?: string;
}

/** Fact-history entries kept per host; older ones are pruned when a new one is written. */
export const FACT_HISTORY_KEEP = 100;

interface DbHost {
  name: string;
  first_seen: number;
  last_seen: number;
  connected: number;
  connected_since: number | null;
  agent_version: string;
  facts_json: string;
  facts_fingerprint: string;
  session_id: string;
  peer: string;
  disconnect_reason: string;
  last_agent_seq: number;
  last_controller_seq: number;
  last_event_seq: number;
  observed_generation: number;
  observed_revision: string;
  last_report_at: number | null;
  replica: string;
}

function toRow(r: DbHost): HostRow {
  return {
    name: r.name,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    connected: r.connected === 1,
    connectedSince: r.connected_since,
    agentVersion: r.agent_version,
    factsJson: r.facts_json,
    factsFingerprint: r.facts_fingerprint,
    sessionId: r.session_id,
    peer: r.peer,
    disconnectReason: r.disconnect_reason,
    lastAgentSeq: r.last_agent_seq,
    lastControllerSeq: r.last_controller_seq,
    lastEventSeq: r.last_event_seq,
    observedGeneration: r.observed_generation,
    observedRevision: r.observed_revision,
    lastReportAt: r.last_report_at,
    replica: r.replica,
  };
}

/** The lean listing's columns: every column but the facts (read as ""). */
const LEAN_COLUMNS = `name, first_seen, last_seen, connected, connected_since, agent_version, '' AS facts_json, facts_fingerprint,
  session_id, peer, disconnect_reason, last_agent_seq, last_controller_seq, last_event_seq, observed_generation,
  observed_revision, last_report_at, replica`;

/** The statements, one text for both engines (common/sql's dialect) but where noted. */
const SQL = {
  get: "SELECT * FROM hosts WHERE name = ?",
  observedGeneration: "SELECT observed_generation FROM hosts WHERE name = ?",
  /** + jsonTextList */
  observedGenerations: "SELECT name, observed_generation FROM hosts WHERE name IN",
  exists: "SELECT 1 AS one FROM hosts WHERE name = ?",
  stream: "SELECT connected, replica, session_id FROM hosts WHERE name = ?",
  /** + jsonTextList */
  streams: "SELECT name, connected, replica, session_id FROM hosts WHERE name IN",
  factsJson: "SELECT facts_json FROM hosts WHERE name = ?",
  /** + jsonTextList */
  factsOf: "SELECT name, facts_json FROM hosts WHERE name IN",
  list: "SELECT * FROM hosts ORDER BY name",
  listLean: `SELECT ${LEAN_COLUMNS} FROM hosts ORDER BY name`,
  names: "SELECT name FROM hosts ORDER BY name",
  count: "SELECT COUNT(*) AS n FROM hosts",
  listAfter: "SELECT * FROM hosts WHERE name > ? ORDER BY name LIMIT ?",
  /** What a Hello or new facts decide on (the stored fingerprint); + lockHostRows. */
  stored: "SELECT facts_fingerprint FROM hosts WHERE name = ?",
  /** The stored facts, read only when new ones differ (the history's changed sections). */
  storedFacts: "SELECT facts_json FROM hosts WHERE name = ?",
  insert: `INSERT INTO hosts (name, first_seen, last_seen, connected, connected_since, agent_version, facts_json, facts_fingerprint, session_id, peer, replica)
     VALUES (@name, @now, @now, 1, @now, @agentVersion, @factsJson, @factsFingerprint, @sessionId, @peer, @replica)
     ON CONFLICT (name) DO NOTHING RETURNING *`,
  /**
   * A Hello: its facts are stored whatever their fingerprint (free memory, uptime and error
   * texts change without it), but not sent back (`facts_json` is '').
   */
  connect: `UPDATE hosts SET last_seen = @now, connected = 1, connected_since = @now, agent_version = @agentVersion,
     facts_json = @factsJson, facts_fingerprint = @factsFingerprint, session_id = @sessionId, peer = @peer,
     replica = @replica, disconnect_reason = '' WHERE name = @name RETURNING ${LEAN_COLUMNS}`,
  facts: "UPDATE hosts SET facts_json = ?, facts_fingerprint = ?, last_seen = ? WHERE name = ?",
  history:
    "INSERT INTO fact_history (host, changed_at, facts_fingerprint, changed_sections, facts_json) VALUES (?, ?, ?, ?, ?)",
  prune:
    "DELETE FROM fact_history WHERE host = ? AND id NOT IN (SELECT id FROM fact_history WHERE host = ? ORDER BY id DESC LIMIT ?)",
  historyList:
    "SELECT changed_at, facts_fingerprint, changed_sections FROM fact_history WHERE host = ? ORDER BY id DESC LIMIT ?",
  remove: "DELETE FROM hosts WHERE name = ?",
  /** At a replica's start: the hosts it held (a crash left them connected). */
  disconnectAll:
    "UPDATE hosts SET connected = 0, connected_since = NULL, disconnect_reason = ? WHERE connected = 1 AND replica = ?",
  /**
   * PostgreSQL, the leader: hosts shown connected to a replica not among the live ones (`?`, a
   * JSON array), locked in byte order of their names first (row-lock.ts: the flush locks in
   * that order too). The row's replica is appended to the reason.
   */
  disconnectOrphans: `WITH orphans AS MATERIALIZED (
      SELECT h.name FROM hosts h
      WHERE h.connected = 1 AND h.replica NOT IN (SELECT json_array_elements_text(?::json))
      ORDER BY h.name COLLATE "C" FOR NO KEY UPDATE
    )
    UPDATE hosts AS h SET connected = 0, connected_since = NULL, disconnect_reason = ? || h.replica
    FROM orphans WHERE h.name = orphans.name AND h.connected = 1
    RETURNING h.name`,
  /** A stream still open here that the leader's sweep marked disconnected (its replica came back). */
  reassert: `UPDATE hosts SET connected = 1, connected_since = ?, disconnect_reason = ''
     WHERE name = ? AND session_id = ? AND replica = ? AND connected = 0`,
  /** SQLite's flush, one statement per host (prepared once, in one transaction). */
  touchSqlite:
    "UPDATE hosts SET last_seen = MAX(last_seen, ?), last_agent_seq = MAX(last_agent_seq, ?), last_controller_seq = MAX(last_controller_seq, ?) WHERE name = ?",
  disconnectSqlite:
    "UPDATE hosts SET connected = 0, connected_since = NULL, disconnect_reason = ?, last_seen = MAX(last_seen, ?) WHERE name = ? AND session_id = ? AND replica = ?",
  /**
   * PostgreSQL's flush: every buffered touch and disconnect in one statement (one round trip
   * for thousands of hosts), their rows as one JSON array (FlushRow). A disconnect applies
   * only while the row still holds its session and replica (a newer Hello, here or on another
   * replica, wins: the condition is part of
   * the write, re-evaluated on the row's latest version when a concurrent transaction changed
   * it). The rows are locked first, in byte order of their names (`locked`; row-lock.ts says
   * why that order and that strength), so two transactions never wait for each other in a
   * cycle. GREATEST ignores the NULLs of what a host did not buffer.
   */
  flushPostgres: `WITH v AS (
      SELECT * FROM jsonb_to_recordset(?::jsonb)
        AS v(name text, seen bigint, agent_seq bigint, controller_seq bigint, session_id text, replica text, reason text, left_at bigint)
    ), locked AS MATERIALIZED (
      SELECT h.name FROM hosts h WHERE h.name IN (SELECT name FROM v) ORDER BY h.name COLLATE "C" FOR NO KEY UPDATE
    )
    UPDATE hosts AS h SET
      last_seen = GREATEST(h.last_seen, v.seen, CASE WHEN h.session_id = v.session_id AND h.replica = v.replica THEN v.left_at END),
      last_agent_seq = GREATEST(h.last_agent_seq, v.agent_seq),
      last_controller_seq = GREATEST(h.last_controller_seq, v.controller_seq),
      connected = CASE WHEN h.session_id = v.session_id AND h.replica = v.replica THEN 0 ELSE h.connected END,
      connected_since = CASE WHEN h.session_id = v.session_id AND h.replica = v.replica THEN NULL ELSE h.connected_since END,
      disconnect_reason = CASE WHEN h.session_id = v.session_id AND h.replica = v.replica THEN v.reason ELSE h.disconnect_reason END
    FROM locked JOIN v ON v.name = locked.name
    WHERE h.name = locked.name`,
};

interface Liveness {
  lastSeen: number;
  lastAgentSeq: number;
  lastControllerSeq: number;
}

interface Disconnect {
  sessionId: string;
  replica: string;
  reason: string;
  now: number;
}

interface StreamRow {
  connected: number;
  replica: string;
  session_id: string;
}

/** One host's buffered liveness and disconnect in PostgreSQL's flush (null: not buffered). */
interface FlushRow {
  name: string;
  seen: number | null;
  agent_seq: number | null;
  controller_seq: number | null;
  session_id: string | null;
  replica: string | null;
  reason: string | null;
  left_at: number | null;
}

/** How long a disconnect waits for others to share its commit. */
const DISCONNECT_BATCH_DELAY_MS = 10;

/**
 * Hosts and their fact history. Connection events (hello, facts) are written at once;
 * liveness (`lastSeen`, sequence numbers) is buffered by `touch()` and disconnects by
 * `markDisconnected()`, and both are written by `flush()` in one transaction, so heartbeats
 * from thousands of agents cost one commit per flush, not one per heartbeat (on PostgreSQL
 * also one statement). Reads apply what is buffered.
 *
 * Runs on either engine (common/sql Queryable). Every method taking `on` runs on it (a
 * transaction makes the call part of it). On PostgreSQL, where several controllers share the
 * table, a Hello or new facts lock the host's row while they compare and write its facts,
 * and transactions that lock several hosts lock them in byte order of their names (HostStore's
 * flush does; a Hello batch is admitted in that order: controller/agents).
 */
export class HostStore {
  private readonly pending = new Map<string, Liveness>();
  /** Disconnects not yet written (by flush(), at the latest DISCONNECT_BATCH_DELAY_MS after the first). */
  private readonly disconnects = new Map<string, Disconnect>();
  private disconnectTurn: NodeJS.Timeout | undefined;
  /**
   * What flushes are writing (taken from the buffers, not yet committed): reads apply it too,
   * since on PostgreSQL they may run while a flush's transaction is open.
   */
  private readonly flushing = new Set<{ entries: Map<string, Liveness>; disconnects: Map<string, Disconnect> }>();
  private readonly db: Queryable;

  constructor(handle: SqliteDatabase | Queryable) {
    this.db = queryableOf(handle);
  }

  /** The host's row with buffered liveness applied (not written: reads never commit). */
  async get(name: string, on: Queryable = this.db): Promise<HostRow | undefined> {
    const r = await on.get<DbHost>(SQL.get, [name]);
    return r ? this.withPending(toRow(r)) : undefined;
  }

  /** The bundle generation the host last reported converging (0: none); undefined for an unknown host. */
  async observedGeneration(name: string, on: Queryable = this.db): Promise<number | undefined> {
    return (await on.get<{ observed_generation: number }>(SQL.observedGeneration, [name]))?.observed_generation;
  }

  /** `observedGeneration` of those of `names` the store knows, by name, in one statement. */
  async observedGenerationsOf(names: readonly string[], on: Queryable = this.db): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (names.length === 0) return out;
    const rows = await on.all<{ name: string; observed_generation: number }>(
      `${SQL.observedGenerations} ${jsonTextList(on)}`,
      [JSON.stringify(names)],
    );
    for (const r of rows) out.set(r.name, r.observed_generation);
    return out;
  }

  /**
   * Whether `name`'s stream is open and on which replica (hosts.replica), as stored: for a
   * command decided on one replica that needs the stream another holds. Undefined for an
   * unknown host. Buffered disconnects of this process are applied.
   */
  async streamOf(name: string, on: Queryable = this.db): Promise<{ connected: boolean; replica: string } | undefined> {
    const r = await on.get<StreamRow>(SQL.stream, [name]);
    return r ? this.streamView(name, r) : undefined;
  }

  /** `streamOf` for many hosts in one statement: the known ones, by name. */
  async streamsOf(
    names: readonly string[],
    on: Queryable = this.db,
  ): Promise<Map<string, { connected: boolean; replica: string }>> {
    const out = new Map<string, { connected: boolean; replica: string }>();
    if (names.length === 0) return out;
    const rows = await on.all<StreamRow & { name: string }>(`${SQL.streams} ${jsonTextList(on)}`, [
      JSON.stringify(names),
    ]);
    for (const r of rows) out.set(r.name, this.streamView(r.name, r));
    return out;
  }

  private streamView(name: string, r: StreamRow): { connected: boolean; replica: string } {
    const d = this.disconnects.get(name);
    const gone = d !== undefined && d.sessionId === r.session_id && d.replica === r.replica;
    return { connected: r.connected === 1 && !gone, replica: r.replica };
  }

  /** Whether `name` is a known host (no row read). */
  async has(name: string, on: Queryable = this.db): Promise<boolean> {
    return (await on.get(SQL.exists, [name])) !== undefined;
  }

  /** The host's facts as stored (UTF-8 JSON); undefined for an unknown host. */
  async factsJson(name: string, on: Queryable = this.db): Promise<string | undefined> {
    return (await on.get<{ facts_json: string }>(SQL.factsJson, [name]))?.facts_json;
  }

  /** The stored facts of those of `names` the store knows, by name, in one statement. */
  async factsJsonOf(names: readonly string[], on: Queryable = this.db): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (names.length === 0) return out;
    const rows = await on.all<{ name: string; facts_json: string }>(`${SQL.factsOf} ${jsonTextList(on)}`, [
      JSON.stringify(names),
    ]);
    for (const r of rows) out.set(r.name, r.facts_json);
    return out;
  }

  /** How many hosts the store knows (one aggregate query). */
  async count(on: Queryable = this.db): Promise<number> {
    return (await on.get<{ n: number }>(SQL.count))!.n;
  }

  /**
   * Every known host's name, sorted (no row read: `list` reads each host's facts too).
   * Sorted as the engine sorts text: byte order on SQLite, the database's collation on
   * PostgreSQL (the same order for ASCII names under the C or C.UTF-8 collation).
   */
  async names(on: Queryable = this.db): Promise<string[]> {
    return (await on.all<{ name: string }>(SQL.names)).map((r) => r.name);
  }

  async list(on: Queryable = this.db): Promise<HostRow[]> {
    return (await on.all<DbHost>(SQL.list)).map((r) => this.withPending(toRow(r)));
  }

  /**
   * Every host as `list` gives it but without its facts (`factsJson` is "": not read): the
   * dashboard's fleet view, which needs 10,000 hosts' states, not their facts.
   */
  async listWithoutFacts(on: Queryable = this.db): Promise<HostRow[]> {
    return (await on.all<DbHost>(SQL.listLean)).map((r) => this.withPending(toRow(r)));
  }

  /** At most `limit` hosts named after `after` ("" = from the first), by name (`names`' order). */
  async listAfter(after: string, limit: number, on: Queryable = this.db): Promise<HostRow[]> {
    return (await on.all<DbHost>(SQL.listAfter, [after, limit])).map((r) => this.withPending(toRow(r)));
  }

  /**
   * Runs `fn(tx)` in one transaction (on `on`'s: a savepoint when `on` is a transaction);
   * store calls given `tx` are part of it, so many hosts' writes cost one commit. Rejects
   * (and rolls back) with what `fn` throws. The commit does not wait for the disk (durable:
   * false; SQLite's store is FULL otherwise, PostgreSQL's synchronous_commit on): connection
   * records, liveness, facts and bundles are restated by every agent when it reconnects, so
   * a crash may lose them, never corrupt them, and the next durable commit (an event batch)
   * makes them durable too. A nested call joins the outer transaction and its setting.
   * Contract of the handle: common/sql Queryable.transaction.
   */
  inTransaction<T>(fn: (tx: Queryable) => T | Promise<T>, on: Queryable = this.db): Promise<T> {
    return on.transaction(fn, { durable: false });
  }

  /** `row` with what is buffered or being flushed applied, oldest first (never lowers a value). */
  private withPending(row: HostRow): HostRow {
    for (const f of this.flushing) applyBuffered(row, f.disconnects.get(row.name), f.entries.get(row.name));
    return applyBuffered(row, this.disconnects.get(row.name), this.pending.get(row.name));
  }

  /** Records a Hello: creates the host or marks it connected with the new session and facts. */
  recordHello(h: HelloRecord, on: Queryable = this.db): Promise<{ created: boolean; host: HostRow }> {
    return on.transaction(async (tx) => {
      const { created, row } = await this.helloWrites(h, tx);
      return { created, host: this.withPending(toRow(row)) };
    });
  }

  /**
   * recordHello's writes: the host's row as written, and whether it is new. On PostgreSQL the
   * host's row is locked while its stored facts decide the history entry (lockHostRows). A host
   * another controller created between the read and the insert (ON CONFLICT DO NOTHING:
   * nothing inserted) is read again, locked, and reconnected like a known one.
   */
  private async helloWrites(h: HelloRecord, tx: Queryable): Promise<{ created: boolean; row: DbHost }> {
    const params = {
      name: h.name,
      replica: h.replica ?? "",
      now: h.now,
      agentVersion: h.agentVersion,
      factsJson: h.factsJson,
      factsFingerprint: h.factsFingerprint,
      sessionId: h.sessionId,
      peer: h.peer,
    };
    const lockStored = `${SQL.stored}${lockHostRows(tx)}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await tx.get<Pick<DbHost, "facts_fingerprint">>(lockStored, [h.name]);
      if (existing) {
        // The stored facts are read only when the new ones differ (kilobytes a host).
        const changed = existing.facts_fingerprint !== h.factsFingerprint;
        const before = changed ? (await tx.get<Pick<DbHost, "facts_json">>(SQL.storedFacts, [h.name]))! : undefined;
        const row = (await tx.get<DbHost>(SQL.connect, params))!;
        if (before) await this.appendHistory(h.name, h.now, h.factsFingerprint, before.facts_json, h.factsJson, tx);
        return { created: false, row: { ...row, facts_json: h.factsJson } };
      }
      const row = await tx.get<DbHost>(SQL.insert, params);
      if (row) {
        // a new host has no history to prune (its old one went with its row)
        await tx.run(SQL.history, [h.name, h.now, h.factsFingerprint, sectionsChanged("{}", h.factsJson), h.factsJson]);
        return { created: true, row };
      }
    }
    throw new HostRecordConflictError(h.name);
  }

  /**
   * Stores new facts; appends a history entry when the fingerprint differs (true). On
   * PostgreSQL the host's row is locked while its stored fingerprint decides (lockHostRows).
   */
  recordFacts(
    name: string,
    factsJson: string,
    factsFingerprint: string,
    now: number,
    on: Queryable = this.db,
  ): Promise<boolean> {
    return on.transaction(async (tx) => {
      const existing = await tx.get<Pick<DbHost, "facts_fingerprint">>(`${SQL.stored}${lockHostRows(tx)}`, [name]);
      if (!existing) return false;
      // Stored whatever the fingerprint (free memory and error texts change without it); the
      // stored facts are read only when they differ (kilobytes a host).
      const changed = existing.facts_fingerprint !== factsFingerprint;
      const before = changed ? (await tx.get<Pick<DbHost, "facts_json">>(SQL.storedFacts, [name]))! : undefined;
      await tx.run(SQL.facts, [factsJson, factsFingerprint, now, name]);
      if (!before) return false;
      await this.appendHistory(name, now, factsFingerprint, before.facts_json, factsJson, tx);
      return true;
    });
  }

  async factHistory(name: string, limit: number, on: Queryable = this.db): Promise<FactChangeRow[]> {
    const rows = await on.all<{ changed_at: number; facts_fingerprint: string; changed_sections: string }>(
      SQL.historyList,
      [name, limit],
    );
    return rows.map((r) => ({
      changedAt: r.changed_at,
      factsFingerprint: r.facts_fingerprint,
      changedSections: JSON.parse(r.changed_sections) as string[],
    }));
  }

  /** Buffers liveness for `name`; written by the next `flush()`. */
  touch(name: string, now: number, lastAgentSeq: number, lastControllerSeq: number): void {
    const p = this.pending.get(name);
    if (p) {
      p.lastSeen = Math.max(p.lastSeen, now);
      p.lastAgentSeq = Math.max(p.lastAgentSeq, lastAgentSeq);
      p.lastControllerSeq = Math.max(p.lastControllerSeq, lastControllerSeq);
    } else {
      this.pending.set(name, { lastSeen: now, lastAgentSeq, lastControllerSeq });
    }
  }

  /**
   * Writes buffered liveness and disconnects in one transaction (resolves once committed);
   * liveness only raises the stored values (never lowers them). On failure everything stays
   * buffered for the next flush (and it rejects).
   */
  async flush(): Promise<void> {
    clearTimeout(this.disconnectTurn);
    this.disconnectTurn = undefined;
    if (this.pending.size === 0 && this.disconnects.size === 0) return;
    const batch = { entries: new Map(this.pending), disconnects: new Map(this.disconnects) };
    this.pending.clear();
    this.disconnects.clear();
    this.flushing.add(batch);
    try {
      await this.inTransaction((tx) => this.writeBuffered([...batch.entries], [...batch.disconnects], tx));
    } catch (err) {
      // Nothing is lost: kept for the next flush (newer values taken meanwhile win).
      for (const [name, p] of batch.entries) this.touch(name, p.lastSeen, p.lastAgentSeq, p.lastControllerSeq);
      for (const [name, d] of batch.disconnects) if (!this.disconnects.has(name)) this.disconnects.set(name, d);
      throw err;
    } finally {
      this.flushing.delete(batch);
    }
  }

  /** flush()'s writes: one statement on PostgreSQL, one prepared statement per host on SQLite. */
  private async writeBuffered(
    entries: [string, Liveness][],
    disconnects: [string, Disconnect][],
    tx: Queryable,
  ): Promise<void> {
    if (tx.engine === "postgres") {
      const rows = new Map<string, FlushRow>();
      const row = (name: string): FlushRow => {
        let r = rows.get(name);
        if (!r) {
          r = {
            name,
            seen: null,
            agent_seq: null,
            controller_seq: null,
            session_id: null,
            replica: null,
            reason: null,
            left_at: null,
          };
          rows.set(name, r);
        }
        return r;
      };
      for (const [name, p] of entries) {
        const r = row(name);
        r.seen = p.lastSeen;
        r.agent_seq = p.lastAgentSeq;
        r.controller_seq = p.lastControllerSeq;
      }
      for (const [name, d] of disconnects) {
        const r = row(name);
        r.session_id = d.sessionId;
        r.replica = d.replica;
        r.reason = d.reason;
        r.left_at = d.now;
      }
      await tx.run(SQL.flushPostgres, [JSON.stringify([...rows.values()])]);
      return;
    }
    // SQLite runs each statement as it is issued, in this order: touches, then disconnects.
    const writes: Promise<unknown>[] = [];
    for (const [name, p] of entries)
      writes.push(tx.run(SQL.touchSqlite, [p.lastSeen, p.lastAgentSeq, p.lastControllerSeq, name]));
    for (const [name, d] of disconnects)
      writes.push(tx.run(SQL.disconnectSqlite, [d.reason, d.now, name, d.sessionId, d.replica]));
    await Promise.all(writes);
  }

  /** The end-of-turn write of disconnects; a failure is retried (and logged) by the owner's periodic flush(). */
  private flushSafely(): void {
    this.flush().catch(() => {
      // kept for the next flush()
    });
  }

  /**
   * Marks `name` disconnected unless a newer session has taken over since: the row must still
   * hold `sessionId` and `replica` (the replica that accepted that session; '' for a single
   * SQLite controller), so a stream that ended here never marks disconnected a host whose
   * agent is connected to another replica by then.
   */
  markDisconnected(name: string, sessionId: string, reason: string, now: number, replica = ""): void {
    // Buffered too: when thousands of agents drop at once (a network partition, a controller
    // shutdown) their disconnects are written together, DISCONNECT_BATCH_DELAY_MS later.
    this.disconnects.set(name, { sessionId, replica, reason, now });
    this.disconnectTurn ??= setTimeout(() => this.flushSafely(), DISCONNECT_BATCH_DELAY_MS);
  }

  /**
   * Forgets `name` (`virtfleet host remove`): its row and, by cascade, its facts history,
   * bundle, reports, resource status, observed policies and drift events. Returns whether it
   * was known. Buffered liveness for it is dropped.
   */
  async remove(name: string, on: Queryable = this.db): Promise<boolean> {
    this.pending.delete(name);
    this.disconnects.delete(name);
    for (const f of this.flushing) {
      f.entries.delete(name);
      f.disconnects.delete(name);
    }
    return (await on.run(SQL.remove, [name])).changes > 0;
  }

  /**
   * At a replica's start it holds no stream yet: every host still shown connected to it
   * (`replica`: this replica's name; '' for a single SQLite controller, whose hosts all carry
   * '') is marked disconnected. Hosts held by other replicas are left alone. Returns how many.
   */
  async markAllDisconnected(reason: string, replica = ""): Promise<number> {
    return (await this.db.run(SQL.disconnectAll, [reason, replica])).changes;
  }

  /**
   * The leader's sweep (PostgreSQL): marks disconnected every host shown connected to a
   * replica that is not in `liveReplicas` (controller/replicas decides which are alive, from
   * controller_replicas.last_seen on the database's clock): a crashed replica's hosts whose
   * agents did not come back elsewhere. `reason` is followed by the replica's name. Returns
   * the hosts marked, sorted. On SQLite (one controller, no replicas) it does nothing.
   * `on`: the leader's fenced handle, or a transaction of it.
   */
  async markOrphansDisconnected(
    liveReplicas: readonly string[],
    reason: string,
    on: Queryable = this.db,
  ): Promise<string[]> {
    if (on.engine !== "postgres") return [];
    // In a transaction: a fenced handle checks the leader's epoch there (its reads are not checked).
    const rows = await on.transaction((tx) =>
      tx.all<{ name: string }>(SQL.disconnectOrphans, [JSON.stringify(liveReplicas), reason]),
    );
    return rows.map((r) => r.name).sort();
  }

  /**
   * Marks connected again the hosts whose streams `replica` still holds (`streams`: host and
   * session) but that are stored disconnected: the leader's sweep took the replica for dead
   * while it was cut from the store. A row holding another session or replica is left alone.
   * Returns the hosts marked, sorted. One transaction, rows in byte order of their names.
   */
  reassertStreams(
    replica: string,
    streams: readonly { name: string; sessionId: string }[],
    now: number,
    on: Queryable = this.db,
  ): Promise<string[]> {
    const sorted = [...streams].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    return this.inTransaction(async (tx) => {
      const marked: string[] = [];
      for (const s of sorted)
        if ((await tx.run(SQL.reassert, [now, s.name, s.sessionId, replica])).changes > 0) marked.push(s.name);
      return marked;
    }, on);
  }

  private async appendHistory(
    name: string,
    now: number,
    fingerprint: string,
    beforeJson: string,
    afterJson: string,
    tx: Queryable,
  ): Promise<void> {
    await tx.run(SQL.history, [name, now, fingerprint, sectionsChanged(beforeJson, afterJson), afterJson]);
    await tx.run(SQL.prune, [name, name, FACT_HISTORY_KEEP]);
  }
}

/** `row` with one buffered disconnect (when it is still the row's session and replica) and liveness applied. */
function applyBuffered(row: HostRow, d: Disconnect | undefined, p: Liveness | undefined): HostRow {
  if (d && d.sessionId === row.sessionId && d.replica === row.replica) {
    row.connected = false;
    row.connectedSince = null;
    row.disconnectReason = d.reason;
    row.lastSeen = Math.max(row.lastSeen, d.now);
  }
  if (p) {
    row.lastSeen = Math.max(row.lastSeen, p.lastSeen);
    row.lastAgentSeq = Math.max(row.lastAgentSeq, p.lastAgentSeq);
    row.lastControllerSeq = Math.max(row.lastControllerSeq, p.lastControllerSeq);
  }
  return row;
}

/** fact_history.changed_sections: the top-level sections that differ, as JSON. */
function sectionsChanged(beforeJson: string, afterJson: string): string {
  return JSON.stringify(changedSections(beforeJson, afterJson));
}
