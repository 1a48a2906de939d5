import type { SqliteDatabase } from "../../common/sqlite/open-database.js";
import { isDiskWriteError } from "./disk-errors.js";

export type OutboxType = "report" | "drift";

export interface OutboxEntry {
  eventSeq: number;
  type: OutboxType;
  /** The Report or DriftEvent as JSON, without its event_seq. */
  payloadJson: string;
  createdAt: number;
  /** DriftEvent.id for drift entries. */
  driftId: string | null;
  /** A drift entry whose state is resolved (resolved_at set). */
  resolved: boolean;
}

export interface NewOutboxEntry {
  type: OutboxType;
  payloadJson: string;
  driftId?: string | null;
  resolved?: boolean;
}

/**
 * Bounds of the outbox. Defaults: 10,000 entries or 32 MiB of payload, whichever is hit
 * first (a Report of a few dozen resources is a few KiB, so this holds days of 5-minute
 * resyncs plus thousands of drift events).
 */
export interface OutboxLimits {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 };

export interface OutboxStats {
  entries: number;
  bytes: number;
  lastEventSeq: number;
  /** Entries dropped by compaction since the store was created. */
  compactedTotal: number;
}

interface Row {
  event_seq: number;
  type: OutboxType;
  payload_json: string;
  created_at: number;
  drift_id: string | null;
  resolved: number;
}

/**
 * Durable, ordered, bounded queue of reports and drift events awaiting the controller's
 * acknowledgement.
 *
 * Contract:
 * - `append` assigns the next event_seq (strictly increasing, never reused, even after every
 *   entry was acknowledged) in the same transaction that stores the entry; it never fails
 *   for lack of room and never blocks the caller on the controller.
 * - When an append leaves the outbox over its limits, whole entries are dropped, oldest
 *   first within each class, in this order until it fits again:
 *     1. drift states superseded by a later state of the same drift id (the controller keeps
 *        only the latest state per id, so nothing it would show is lost);
 *     2. reports older than the newest report;
 *     3. resolved drift events;
 *     4. anything else except the entry just appended.
 *   Each dropped entry adds to `compactedTotal`; `append` returns how many it dropped.
 * - `ack(upTo)` deletes every entry with event_seq ≤ upTo; `pending(after)` lists the rest
 *   in event_seq order.
 * - Held entries (`hold`, used by AgentStore.commit when the database cannot be written): kept
 *   in memory, numbered after every stored one, listed by `pending` and acknowledged like the
 *   others, bounded by the same limits (compacted in the same class order, so the oldest
 *   resolved ones go first), and written with their numbers by `writeHeld` once the disk
 *   takes writes again. They are lost if the process dies first (the controller has those it
 *   acknowledged).
 */
export class Outbox {
  private readonly insert;
  private readonly bumpSeq;
  private readonly readState;
  private readonly addCompacted;
  private readonly selectPending;
  private readonly deleteUpTo;
  private readonly totals;
  private readonly insertAt;
  /** In-memory entries, in event_seq order (see `hold`). */
  private held: (OutboxEntry & { bytes: number })[] = [];
  private heldBytes = 0;
  private heldCompacted = 0;
  /** Highest event_seq acknowledged by the controller in this process (a delete may have failed). */
  private ackedUpTo = 0;
  /** Highest event_seq this process gave out (`append` or `hold`): never given again, even once acknowledged. */
  private lastGiven = 0;
  /** Numbers were given out in memory: the stored counter must move past them at the next write. */
  private counterBehind = false;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly limits: OutboxLimits = DEFAULT_OUTBOX_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.insert = db.prepare(
      "INSERT INTO outbox (event_seq, type, payload_json, bytes, created_at, drift_id, resolved) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.bumpSeq = db.prepare<[], { last_event_seq: number }>(
      "UPDATE outbox_state SET last_event_seq = last_event_seq + 1 WHERE id = 1 RETURNING last_event_seq",
    );
    this.readState = db.prepare<[], { last_event_seq: number; compacted: number }>(
      "SELECT last_event_seq, compacted FROM outbox_state WHERE id = 1",
    );
    this.addCompacted = db.prepare("UPDATE outbox_state SET compacted = compacted + ? WHERE id = 1");
    this.selectPending = db.prepare<[number, number], Row>(
      "SELECT event_seq, type, payload_json, created_at, drift_id, resolved FROM outbox WHERE event_seq > ? ORDER BY event_seq LIMIT ?",
    );
    this.deleteUpTo = db.prepare("DELETE FROM outbox WHERE event_seq <= ?");
    this.totals = db.prepare<[], { n: number; bytes: number | null }>(
      "SELECT COUNT(*) AS n, SUM(bytes) AS bytes FROM outbox",
    );
    this.insertAt = db.prepare(
      "UPDATE outbox_state SET last_event_seq = MAX(last_event_seq, ?), compacted = compacted + ? WHERE id = 1",
    );
  }

  /** Entries held in memory (not yet written). */
  get heldCount(): number {
    return this.held.length;
  }

  /**
   * Keeps `e` in memory with the next event_seq (after every stored and held entry) when the
   * database cannot be written; compacts the held entries to the limits. Never throws for the disk.
   */
  hold(e: NewOutboxEntry): { eventSeq: number; compacted: number } {
    let stored = 0;
    try {
      stored = this.readState.get()!.last_event_seq;
    } catch {
      // unreadable too: the held entries and this process's appends still number in order
    }
    const eventSeq = Math.max(stored, this.lastGiven, this.held.at(-1)?.eventSeq ?? 0) + 1;
    this.lastGiven = eventSeq;
    this.counterBehind = true;
    const bytes = Buffer.byteLength(e.payloadJson, "utf8");
    this.held.push({
      eventSeq,
      type: e.type,
      payloadJson: e.payloadJson,
      createdAt: this.now(),
      driftId: e.driftId ?? null,
      resolved: e.resolved === true,
      bytes,
    });
    this.heldBytes += bytes;
    const compacted = this.compactHeld(eventSeq);
    this.heldCompacted += compacted;
    return { eventSeq, compacted };
  }

  /**
   * Writes the held entries with their numbers (call inside a transaction; then `clearHeld`
   * once it committed). Entries already acknowledged are not written.
   */
  writeHeld(): number {
    if (this.held.length === 0 && !this.counterBehind) return 0;
    // even when every held entry was acknowledged meanwhile, their numbers are never given again
    let last = this.lastGiven;
    for (const h of this.held) {
      last = Math.max(last, h.eventSeq);
      if (h.eventSeq <= this.ackedUpTo) continue;
      this.insert.run(h.eventSeq, h.type, h.payloadJson, h.bytes, h.createdAt, h.driftId, h.resolved ? 1 : 0);
    }
    this.insertAt.run(last, this.heldCompacted);
    if (this.ackedUpTo > 0) this.deleteUpTo.run(this.ackedUpTo);
    return this.held.length;
  }

  /** The held entries were written (`writeHeld` committed): forgets the first `n`. */
  clearHeld(n: number): void {
    const gone = this.held.splice(0, n);
    for (const g of gone) this.heldBytes -= g.bytes;
    if (this.held.length === 0) {
      this.heldCompacted = 0;
      this.counterBehind = false;
    }
  }

  /** Stores `e` durably; returns its event_seq and how many older entries compaction dropped. */
  append(e: NewOutboxEntry): { eventSeq: number; compacted: number } {
    return this.db.transaction(() => {
      const eventSeq = this.bumpSeq.get()!.last_event_seq;
      const bytes = Buffer.byteLength(e.payloadJson, "utf8");
      this.insert.run(eventSeq, e.type, e.payloadJson, bytes, this.now(), e.driftId ?? null, e.resolved ? 1 : 0);
      const compacted = this.compact(eventSeq);
      if (compacted > 0) this.addCompacted.run(compacted);
      this.lastGiven = Math.max(this.lastGiven, eventSeq);
      return { eventSeq, compacted };
    })();
  }

  /** Entries with event_seq > `afterSeq`, in order, at most `limit`. */
  pending(afterSeq: number, limit = 1_000): OutboxEntry[] {
    const after = Math.max(afterSeq, this.ackedUpTo);
    const stored = this.selectPending.all(after, limit).map((r) => ({
      eventSeq: r.event_seq,
      type: r.type,
      payloadJson: r.payload_json,
      createdAt: r.created_at,
      driftId: r.drift_id,
      resolved: r.resolved === 1,
    }));
    if (this.held.length === 0 || stored.length >= limit) return stored;
    const held = this.held
      .filter((h) => h.eventSeq > after)
      .slice(0, limit - stored.length)
      .map(({ bytes: _bytes, ...e }) => e);
    return [...stored, ...held];
  }

  /**
   * Deletes every entry with event_seq ≤ `upTo`; returns how many. When the database cannot
   * be written the stored ones stay, but are no longer listed (and deleted at the next write).
   */
  ack(upTo: number): number {
    if (!Number.isSafeInteger(upTo) || upTo <= 0) return 0;
    this.ackedUpTo = Math.max(this.ackedUpTo, upTo);
    let n = 0;
    while (this.held.length > 0 && this.held[0]!.eventSeq <= upTo) {
      this.heldBytes -= this.held.shift()!.bytes;
      n += 1;
    }
    try {
      return n + this.deleteUpTo.run(upTo).changes;
    } catch (err) {
      if (!isDiskWriteError(err)) throw err;
      return n;
    }
  }

  /** Deletes one entry (an unreadable one). */
  drop(eventSeq: number): void {
    this.db.prepare("DELETE FROM outbox WHERE event_seq = ?").run(eventSeq);
  }

  /**
   * Gives every pending entry a new event_seq after `seq`, keeping their order, and moves
   * the counter past them: for a controller that has stored numbers this outbox reuses (the
   * agent's state was reset or rolled back), so these entries are not taken for duplicates.
   * Returns how many entries were renumbered.
   */
  renumberAfter(seq: number): number {
    return this.db.transaction(() => {
      const rows = this.db.prepare<[], { event_seq: number }>("SELECT event_seq FROM outbox ORDER BY event_seq").all();
      const move = this.db.prepare("UPDATE outbox SET event_seq = ? WHERE event_seq = ?");
      // New numbers are all above every current one (seq ≥ the local counter), so no clash.
      rows.forEach((r, i) => move.run(seq + i + 1, r.event_seq));
      this.db.prepare("UPDATE outbox_state SET last_event_seq = ? WHERE id = 1").run(seq + rows.length);
      return rows.length;
    })();
  }

  /** Makes the next event_seq greater than `seq` (never lowers it). */
  advanceTo(seq: number): void {
    this.db.prepare("UPDATE outbox_state SET last_event_seq = ? WHERE id = 1 AND last_event_seq < ?").run(seq, seq);
  }

  stats(): OutboxStats {
    const s = this.readState.get()!;
    const t = this.totals.get()!;
    return {
      entries: t.n + this.held.length,
      bytes: (t.bytes ?? 0) + this.heldBytes,
      lastEventSeq: Math.max(s.last_event_seq, this.held.at(-1)?.eventSeq ?? 0),
      compactedTotal: s.compacted + this.heldCompacted,
    };
  }

  /** compact()'s classes over the held entries (the new one, `keep`, stays). */
  private compactHeld(keep: number): number {
    const over = () => this.held.length > this.limits.maxEntries || this.heldBytes > this.limits.maxBytes;
    if (!over()) return 0;
    const newestReport = this.held.findLast((h) => h.type === "report")?.eventSeq ?? 0;
    const classes: ((h: OutboxEntry, i: number) => boolean)[] = [
      (h, i) => h.driftId !== null && this.held.slice(i + 1).some((n) => n.driftId === h.driftId),
      (h) => h.type === "report" && h.eventSeq < newestReport,
      (h) => h.type === "drift" && h.resolved,
      () => true,
    ];
    let dropped = 0;
    for (const drop of classes) {
      for (let i = 0; i < this.held.length && over(); ) {
        const h = this.held[i]!;
        if (h.eventSeq !== keep && drop(h, i)) {
          this.held.splice(i, 1);
          this.heldBytes -= h.bytes;
          dropped += 1;
        } else i += 1;
      }
      if (!over()) break;
    }
    return dropped;
  }

  private compact(keep: number): number {
    let dropped = 0;
    const classes = [
      // 1. drift states superseded by a later state of the same id
      `SELECT o.event_seq, o.bytes FROM outbox o WHERE o.type = 'drift' AND o.drift_id IS NOT NULL
         AND EXISTS (SELECT 1 FROM outbox n WHERE n.drift_id = o.drift_id AND n.event_seq > o.event_seq)
         ORDER BY o.event_seq`,
      // 2. reports older than the newest report
      `SELECT event_seq, bytes FROM outbox WHERE type = 'report'
         AND event_seq < (SELECT MAX(event_seq) FROM outbox WHERE type = 'report') ORDER BY event_seq`,
      // 3. resolved drift events
      `SELECT event_seq, bytes FROM outbox WHERE type = 'drift' AND resolved = 1 ORDER BY event_seq`,
      // 4. anything older than the new entry
      `SELECT event_seq, bytes FROM outbox WHERE event_seq <> ${Number(keep)} ORDER BY event_seq`,
    ];
    const del = this.db.prepare("DELETE FROM outbox WHERE event_seq = ?");
    for (const sql of classes) {
      const t = this.totals.get()!;
      let n = t.n;
      let bytes = t.bytes ?? 0;
      if (n <= this.limits.maxEntries && bytes <= this.limits.maxBytes) break;
      for (const r of this.db.prepare<[], { event_seq: number; bytes: number }>(sql).all()) {
        if (r.event_seq === keep) continue;
        if (n <= this.limits.maxEntries && bytes <= this.limits.maxBytes) break;
        del.run(r.event_seq);
        n -= 1;
        bytes -= r.bytes;
        dropped += 1;
      }
    }
    return dropped;
  }
}
