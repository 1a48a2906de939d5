import { join } from "node:path";
import { openDatabase, type SqliteDatabase } from "../../common/sqlite/open-database.js";
import { describeError } from "../../common/errors.js";
import { BundleCache, StateDocs, type CachedBundle } from "./bundle-cache.js";
import { isDiskWriteError } from "./disk-errors.js";
import { AGENT_MIGRATIONS } from "./migrations.js";
import { Outbox, type NewOutboxEntry, type OutboxLimits } from "./outbox.js";
import { OwnershipLedgerStore } from "./ownership-ledger.js";

export const AGENT_DB_FILE = "agent.db";
export { AGENT_MIGRATIONS };

export interface AgentStoreOptions {
  outboxLimits?: OutboxLimits;
  now?: () => number;
  /** Told when the state folder or database files were readable by others and were made private. */
  warn?: (message: string) => void;
  /** While degraded, held writes are retried this often (default 2 s). */
  retryIntervalMs?: number;
}

/** What one `commit` writes, all or nothing. */
export interface StateChange {
  /** Appended to the outbox in this order. */
  events?: readonly NewOutboxEntry[];
  /** Enforcement state documents (StateDocs), by key. */
  docs?: Readonly<Record<string, unknown>>;
  bundle?: Omit<CachedBundle, "savedAt">;
}

/** Whether the state folder takes writes (AgentHealth on the wire). */
export interface StoreHealth {
  /** "" while every write succeeds; else why writes are held in memory. */
  degradedReason: string;
  /** When the first held write failed (0 while healthy). */
  degradedSinceMs: number;
  /** Outbox entries held in memory. */
  heldEvents: number;
}

export const DEFAULT_STORE_RETRY_MS = 2_000;

/**
 * The agent's local state (SQLite in its state folder): link sequence numbers (so the
 * controller can tell, across processes, what this host has sent and acknowledged), the
 * cached policy bundle, the event outbox, enforcement state and ownership records.
 */
export class AgentStore {
  readonly bundles: BundleCache;
  readonly outbox: Outbox;
  readonly docs: StateDocs;
  /** Ownership records (seeded from the cached bundle once, on upgrade). */
  readonly ownership: OwnershipLedgerStore;
  private readonly readSeqs;
  private readonly writeAgentSeq;
  private readonly writeControllerSeq;
  private readonly now: () => number;
  private readonly retryMs: number;
  /** Writes that failed for the disk, kept to be written by the next commit. */
  private readonly heldDocs = new Map<string, unknown>();
  private heldBundle: Omit<CachedBundle, "savedAt"> | undefined;
  private heldSeqs: { agent: number; controller: number } | undefined;
  private degraded: { reason: string; since: number } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly healthListeners = new Set<(h: StoreHealth) => void>();

  private constructor(
    private readonly db: SqliteDatabase,
    o: AgentStoreOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.retryMs = o.retryIntervalMs ?? DEFAULT_STORE_RETRY_MS;
    this.readSeqs = db.prepare<[], { last_agent_seq: number; last_controller_seq: number }>(
      "SELECT last_agent_seq, last_controller_seq FROM link_state WHERE id = 1",
    );
    this.writeAgentSeq = db.prepare("UPDATE link_state SET last_agent_seq = ? WHERE id = 1 AND last_agent_seq < ?");
    this.writeControllerSeq = db.prepare(
      "UPDATE link_state SET last_controller_seq = ? WHERE id = 1 AND last_controller_seq < ?",
    );
    this.bundles = new BundleCache(db);
    this.outbox = new Outbox(db, o.outboxLimits, o.now);
    this.docs = new StateDocs(db);
    this.ownership = new OwnershipLedgerStore(db);
    this.ownership.seedFromBundle(this.bundles.load());
  }

  static open(stateDir: string, o: AgentStoreOptions = {}): AgentStore {
    return AgentStore.openFile(join(stateDir, AGENT_DB_FILE), o);
  }

  /** Opens a database file (":memory:" for tests). */
  static openFile(file: string, o: AgentStoreOptions = {}): AgentStore {
    return new AgentStore(openDatabase(file, AGENT_MIGRATIONS, { warn: o.warn }), o);
  }

  sequences(): { lastAgentSeq: number; lastControllerSeq: number } {
    const r = this.readSeqs.get()!;
    return { lastAgentSeq: r.last_agent_seq, lastControllerSeq: r.last_controller_seq };
  }

  /** Saves the link's agent seq; on a disk error it is held and written by the next commit. */
  saveAgentSeq(seq: number): void {
    this.saveSeq(() => this.writeAgentSeq.run(seq, seq), { agent: seq });
  }

  saveControllerSeq(seq: number): void {
    this.saveSeq(() => this.writeControllerSeq.run(seq, seq), { controller: seq });
  }

  /**
   * Writes `change` in one transaction, after whatever earlier commits had to hold. Contract:
   * - all or nothing: events, documents and bundle commit together (a crash leaves either all
   *   or none of them);
   * - when the state folder cannot take writes (disk full or failing: isDiskWriteError) it
   *   never throws: events are held in memory by the outbox (numbered, sent, bounded),
   *   documents and the bundle are held here, the store is `degraded` until a later commit
   *   (or the retry every `retryIntervalMs`) writes them all; listeners hear each change of
   *   health. Any other error is thrown.
   * Returns how many outbox entries compaction dropped and whether the change is on disk.
   */
  commit(change: StateChange = {}): { compacted: number; durable: boolean } {
    const events = change.events ?? [];
    const heldEvents = this.outbox.heldCount;
    try {
      const compacted = this.db.transaction(() => {
        this.outbox.writeHeld();
        for (const [key, value] of this.heldDocs) if (!change.docs || !(key in change.docs)) this.docs.save(key, value);
        if (this.heldBundle && !change.bundle) this.bundles.save(this.heldBundle, this.now());
        if (this.heldSeqs) {
          this.writeAgentSeq.run(this.heldSeqs.agent, this.heldSeqs.agent);
          this.writeControllerSeq.run(this.heldSeqs.controller, this.heldSeqs.controller);
        }
        let n = 0;
        for (const e of events) n += this.outbox.append(e).compacted;
        for (const [key, value] of Object.entries(change.docs ?? {})) this.docs.save(key, value);
        if (change.bundle) this.bundles.save(change.bundle, this.now());
        return n;
      })();
      this.outbox.clearHeld(heldEvents);
      this.heldDocs.clear();
      this.heldBundle = undefined;
      this.heldSeqs = undefined;
      this.setHealthy();
      return { compacted, durable: true };
    } catch (err) {
      if (!isDiskWriteError(err)) throw err;
      let compacted = 0;
      for (const e of events) compacted += this.outbox.hold(e).compacted;
      for (const [key, value] of Object.entries(change.docs ?? {})) this.heldDocs.set(key, value);
      if (change.bundle) this.heldBundle = change.bundle;
      this.setDegraded(err);
      return { compacted, durable: false };
    }
  }

  health(): StoreHealth {
    return {
      degradedReason: this.degraded?.reason ?? "",
      degradedSinceMs: this.degraded?.since ?? 0,
      heldEvents: this.outbox.heldCount,
    };
  }

  /** Called when the store becomes degraded or healthy again. */
  onHealth(listener: (h: StoreHealth) => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  close(): void {
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    if (this.degraded) {
      try {
        this.commit();
      } catch {
        // closing: what is still held is lost with the process, as after a crash
      }
      clearInterval(this.retryTimer);
    }
    this.db.close();
  }

  private saveSeq(write: () => unknown, seqs: Partial<{ agent: number; controller: number }>): void {
    try {
      write();
    } catch (err) {
      if (!isDiskWriteError(err)) throw err;
      const now = this.sequences();
      this.heldSeqs = {
        agent: Math.max(this.heldSeqs?.agent ?? 0, seqs.agent ?? 0, now.lastAgentSeq),
        controller: Math.max(this.heldSeqs?.controller ?? 0, seqs.controller ?? 0, now.lastControllerSeq),
      };
      this.setDegraded(err);
    }
  }

  private setDegraded(err: unknown): void {
    const first = this.degraded === undefined;
    this.degraded ??= { reason: `state store cannot be written: ${describeError(err)}`, since: this.now() };
    this.retryTimer ??= setInterval(() => {
      try {
        this.commit();
      } catch {
        // a non-disk error here would repeat every retry; the next real commit reports it
      }
    }, this.retryMs);
    this.retryTimer.unref();
    if (first) this.tell();
  }

  private setHealthy(): void {
    if (!this.degraded) return;
    this.degraded = undefined;
    clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    this.tell();
  }

  /** Listeners hear after the call that changed the health has returned (never inside a write, e.g. a link's send). */
  private tell(): void {
    queueMicrotask(() => {
      const h = this.health();
      for (const l of this.healthListeners) l(h);
    });
  }
}
