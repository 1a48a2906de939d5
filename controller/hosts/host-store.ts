import { AsyncDatabase, type Queryable, type SqliteDatabase, type Transaction } from "../../common/index.js";
import { changedSections } from "./changed-sections.js";

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
  };
}

/**
 * Hosts and their fact history. Connection events (hello, facts, disconnect) are written
 * at once; liveness (`lastSeen`, sequence numbers) is buffered by `touch()` and written by
 * `flush()` in one transaction, so heartbeats from thousands of agents cost one commit per
 * flush, not one per heartbeat.
 */
/** How long a disconnect waits for others to share its commit. */
const DISCONNECT_BATCH_DELAY_MS = 10;

export class HostStore {
  private readonly pending = new Map<string, { lastSeen: number; lastAgentSeq: number; lastControllerSeq: number }>();
  /** Disconnects not yet written (by flush(), at the latest DISCONNECT_BATCH_DELAY_MS after the first). */
  private readonly disconnects = new Map<string, { sessionId: string; reason: string; now: number }>();
  private disconnectTurn: NodeJS.Timeout | undefined;
  private readonly stmts;
  private readonly db: AsyncDatabase;

  constructor(handle: SqliteDatabase | AsyncDatabase) {
    this.db = AsyncDatabase.of(handle);
    const db = this.db.connection;
    this.stmts = {
      get: db.prepare<[string], DbHost>("SELECT * FROM hosts WHERE name = ?"),
      observedGeneration: db.prepare<[string], { observed_generation: number }>(
        "SELECT observed_generation FROM hosts WHERE name = ?",
      ),
      exists: db.prepare<[string], { one: number }>("SELECT 1 AS one FROM hosts WHERE name = ?"),
      factsJson: db.prepare<[string], { facts_json: string }>("SELECT facts_json FROM hosts WHERE name = ?"),
      list: db.prepare<[], DbHost>("SELECT * FROM hosts ORDER BY name"),
      listLean: db.prepare<[], DbHost>(
        `SELECT name, first_seen, last_seen, connected, connected_since, agent_version, '' AS facts_json, facts_fingerprint,
           session_id, peer, disconnect_reason, last_agent_seq, last_controller_seq, last_event_seq, observed_generation,
           observed_revision, last_report_at FROM hosts ORDER BY name`,
      ),
      names: db.prepare<[], { name: string }>("SELECT name FROM hosts ORDER BY name"),
      count: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM hosts"),
      listAfter: db.prepare<[string, number], DbHost>("SELECT * FROM hosts WHERE name > ? ORDER BY name LIMIT ?"),
      insert: db.prepare(
        `INSERT INTO hosts (name, first_seen, last_seen, connected, connected_since, agent_version, facts_json, facts_fingerprint, session_id, peer)
         VALUES (@name, @now, @now, 1, @now, @agentVersion, @factsJson, @factsFingerprint, @sessionId, @peer)`,
      ),
      connect: db.prepare(
        `UPDATE hosts SET last_seen = @now, connected = 1, connected_since = @now, agent_version = @agentVersion,
           facts_json = @factsJson, facts_fingerprint = @factsFingerprint, session_id = @sessionId, peer = @peer,
           disconnect_reason = '' WHERE name = @name`,
      ),
      facts: db.prepare("UPDATE hosts SET facts_json = ?, facts_fingerprint = ?, last_seen = ? WHERE name = ?"),
      history: db.prepare(
        "INSERT INTO fact_history (host, changed_at, facts_fingerprint, changed_sections, facts_json) VALUES (?, ?, ?, ?, ?)",
      ),
      prune: db.prepare(
        "DELETE FROM fact_history WHERE host = ? AND id NOT IN (SELECT id FROM fact_history WHERE host = ? ORDER BY id DESC LIMIT ?)",
      ),
      historyList: db.prepare<
        [string, number],
        { changed_at: number; facts_fingerprint: string; changed_sections: string }
      >(
        "SELECT changed_at, facts_fingerprint, changed_sections FROM fact_history WHERE host = ? ORDER BY id DESC LIMIT ?",
      ),
      disconnect: db.prepare(
        "UPDATE hosts SET connected = 0, connected_since = NULL, disconnect_reason = ?, last_seen = MAX(last_seen, ?) WHERE name = ? AND session_id = ?",
      ),
      disconnectAll: db.prepare(
        "UPDATE hosts SET connected = 0, connected_since = NULL, disconnect_reason = ? WHERE connected = 1",
      ),
      touch: db.prepare(
        "UPDATE hosts SET last_seen = MAX(last_seen, ?), last_agent_seq = MAX(last_agent_seq, ?), last_controller_seq = MAX(last_controller_seq, ?) WHERE name = ?",
      ),
    };
  }

  /** The host's row with buffered liveness applied (not written: reads never commit). */
  get(name: string, on: Queryable = this.db): Promise<HostRow | undefined> {
    return on.read(() => {
      const r = this.stmts.get.get(name);
      return r ? this.withPending(toRow(r)) : undefined;
    });
  }

  /** The bundle generation the host last reported converging (0: none); undefined for an unknown host. */
  observedGeneration(name: string, on: Queryable = this.db): Promise<number | undefined> {
    return on.read(() => this.stmts.observedGeneration.get(name)?.observed_generation);
  }

  /** Whether `name` is a known host (no row read). */
  has(name: string, on: Queryable = this.db): Promise<boolean> {
    return on.read(() => this.stmts.exists.get(name) !== undefined);
  }

  /** The host's facts as stored (UTF-8 JSON); undefined for an unknown host. */
  factsJson(name: string, on: Queryable = this.db): Promise<string | undefined> {
    return on.read(() => this.stmts.factsJson.get(name)?.facts_json);
  }

  /** Every known host's name, sorted (no row read: `list` reads each host's facts too). */
  /** How many hosts the store knows (one aggregate query). */
  count(on: Queryable = this.db): Promise<number> {
    return on.read(() => this.stmts.count.get()!.n);
  }

  names(on: Queryable = this.db): Promise<string[]> {
    return on.read(() => this.stmts.names.all().map((r) => r.name));
  }

  list(on: Queryable = this.db): Promise<HostRow[]> {
    return on.read(() => this.stmts.list.all().map((r) => this.withPending(toRow(r))));
  }

  /**
   * Every host as `list` gives it but without its facts (`factsJson` is "": not read): the
   * dashboard's fleet view, which needs 10,000 hosts' states, not their facts.
   */
  listWithoutFacts(on: Queryable = this.db): Promise<HostRow[]> {
    return on.read(() => this.stmts.listLean.all().map((r) => this.withPending(toRow(r))));
  }

  /** At most `limit` hosts named after `after` ("" = from the first), by name. */
  listAfter(after: string, limit: number, on: Queryable = this.db): Promise<HostRow[]> {
    return on.read(() => this.stmts.listAfter.all(after, limit).map((r) => this.withPending(toRow(r))));
  }

  /**
   * Runs `fn(tx)` in one transaction (on `on`'s: a savepoint when `on` is a transaction);
   * store calls given `tx` are part of it, so many hosts' writes cost one commit. Rejects
   * (and rolls back) with what `fn` throws. The commit does not wait for fsync (durable:
   * false; the store is FULL otherwise): connection records, liveness, facts and bundles are
   * restated by every agent when it reconnects, so a power loss may lose them, never corrupt
   * them, and the next durable commit (an event batch) makes them durable too. A nested call
   * joins the outer transaction and its setting. Contract of the handle: AsyncDatabase.
   */
  inTransaction<T>(fn: (tx: Transaction) => T | Promise<T>, on: Queryable = this.db): Promise<T> {
    return on.transaction(fn, { durable: false });
  }

  private withPending(row: HostRow): HostRow {
    const d = this.disconnects.get(row.name);
    if (d && d.sessionId === row.sessionId) {
      row.connected = false;
      row.connectedSince = null;
      row.disconnectReason = d.reason;
      row.lastSeen = Math.max(row.lastSeen, d.now);
    }
    const p = this.pending.get(row.name);
    if (!p) return row;
    row.lastSeen = Math.max(row.lastSeen, p.lastSeen);
    row.lastAgentSeq = Math.max(row.lastAgentSeq, p.lastAgentSeq);
    row.lastControllerSeq = Math.max(row.lastControllerSeq, p.lastControllerSeq);
    return row;
  }

  /** Records a Hello: creates the host or marks it connected with the new session and facts. */
  recordHello(h: HelloRecord, on: Queryable = this.db): Promise<{ created: boolean; host: HostRow }> {
    return on.transaction(() => {
      const created = this.helloWrites(h);
      return { created, host: this.withPending(toRow(this.stmts.get.get(h.name)!)) };
    });
  }

  /** recordHello's writes: true when the host is new. */
  private helloWrites(h: HelloRecord): boolean {
    const existing = this.stmts.get.get(h.name);
    if (!existing) {
      this.stmts.insert.run(h);
      this.appendHistory(h.name, h.now, h.factsFingerprint, "{}", h.factsJson);
      return true;
    }
    this.stmts.connect.run(h);
    if (existing.facts_fingerprint !== h.factsFingerprint) {
      this.appendHistory(h.name, h.now, h.factsFingerprint, existing.facts_json, h.factsJson);
    }
    return false;
  }

  /** Stores new facts; appends a history entry when the fingerprint differs. */
  recordFacts(
    name: string,
    factsJson: string,
    factsFingerprint: string,
    now: number,
    on: Queryable = this.db,
  ): Promise<boolean> {
    return on.transaction(() => this.factsWrites(name, factsJson, factsFingerprint, now));
  }

  /** recordFacts's writes. */
  private factsWrites(name: string, factsJson: string, factsFingerprint: string, now: number): boolean {
    const existing = this.stmts.get.get(name);
    if (!existing) return false;
    this.stmts.facts.run(factsJson, factsFingerprint, now, name);
    if (existing.facts_fingerprint !== factsFingerprint) {
      this.appendHistory(name, now, factsFingerprint, existing.facts_json, factsJson);
      return true;
    }
    return false;
  }

  factHistory(name: string, limit: number, on: Queryable = this.db): Promise<FactChangeRow[]> {
    return on.read(() => {
      return this.stmts.historyList.all(name, limit).map((r) => ({
        changedAt: r.changed_at,
        factsFingerprint: r.facts_fingerprint,
        changedSections: JSON.parse(r.changed_sections) as string[],
      }));
    });
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

  /** Writes buffered liveness in one transaction (resolves once committed). */
  async flush(): Promise<void> {
    clearTimeout(this.disconnectTurn);
    this.disconnectTurn = undefined;
    if (this.pending.size === 0 && this.disconnects.size === 0) return;
    const entries = [...this.pending];
    const disconnects = [...this.disconnects];
    this.pending.clear();
    this.disconnects.clear();
    try {
      await this.inTransaction(() => {
        for (const [name, p] of entries) this.stmts.touch.run(p.lastSeen, p.lastAgentSeq, p.lastControllerSeq, name);
        for (const [name, d] of disconnects) this.stmts.disconnect.run(d.reason, d.now, name, d.sessionId);
      });
    } catch (err) {
      // Nothing is lost: kept for the next flush (newer values taken meanwhile win).
      for (const [name, p] of entries) this.touch(name, p.lastSeen, p.lastAgentSeq, p.lastControllerSeq);
      for (const [name, d] of disconnects) if (!this.disconnects.has(name)) this.disconnects.set(name, d);
      throw err;
    }
  }

  /** The end-of-turn write of disconnects; a failure is retried (and logged) by the owner's periodic flush(). */
  private flushSafely(): void {
    this.flush().catch(() => {
      // kept for the next flush()
    });
  }

  /** Marks `name` disconnected unless a newer session has taken over since. */
  markDisconnected(name: string, sessionId: string, reason: string, now: number): void {
    // Buffered too: when thousands of agents drop at once (a network partition, a controller
    // shutdown) their disconnects are written together, DISCONNECT_BATCH_DELAY_MS later.
    this.disconnects.set(name, { sessionId, reason, now });
    this.disconnectTurn ??= setTimeout(() => this.flushSafely(), DISCONNECT_BATCH_DELAY_MS);
  }

  /**
   * Forgets `name` (`virtfleet host remove`): its row and, by cascade, its facts history,
   * bundle, reports, resource status, observed policies and drift events. Returns whether it
   * was known. Buffered liveness for it is dropped.
   */
  remove(name: string, on: Queryable = this.db): Promise<boolean> {
    this.pending.delete(name);
    this.disconnects.delete(name);
    return on.write((db) => db.prepare("DELETE FROM hosts WHERE name = ?").run(name).changes > 0);
  }

  /** At controller start no stream exists yet: every host is disconnected. */
  markAllDisconnected(reason: string): Promise<number> {
    return this.db.write(() => this.stmts.disconnectAll.run(reason).changes);
  }

  private appendHistory(name: string, now: number, fingerprint: string, beforeJson: string, afterJson: string): void {
    this.stmts.history.run(name, now, fingerprint, JSON.stringify(changedSections(beforeJson, afterJson)), afterJson);
    this.stmts.prune.run(name, name, FACT_HISTORY_KEEP);
  }
}
