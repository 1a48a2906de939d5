import type { DriftView } from "../agent-messages/index.js";

export type DriftListener = (drift: DriftView) => void;

/** A drift row as read back from the store: its state and when it was stored (drift_events.received_at). */
export interface StoredDrift {
  drift: DriftView;
  receivedAt: number;
}

/** How many drift ids the feed remembers the emitted state of (oldest forgotten first). */
export const FEED_REMEMBERED_IDS = 50_000;

/**
 * In-process fan-out of stored drift events (new and updated) to watchers. Contract:
 * - a listener sees only events published after it subscribed; a listener that throws is removed;
 * - `publish` (this replica's Ingestor, after its commit): every state goes out, in the
 *   batch's order (a host's events in their event_seq order, an id updated twice in one batch
 *   twice);
 * - `publishStored` (rows another replica stored, read back by DriftRelay): a row goes out
 *   only when its event_seq is newer than the state this feed last emitted for its id, so a
 *   row read twice (a signal and a resync, two signals naming one id) reaches watchers once,
 *   and an older state never follows a newer one;
 * - `newestReceivedAt`: the newest received_at it emitted (or was told of by `advance`), the
 *   point a resync re-reads from (DriftRelay's rule).
 * The feed remembers the emitted event_seq of the last FEED_REMEMBERED_IDS ids only: a row
 * of an id forgotten meanwhile may reach watchers a second time, never not at all.
 */
export class DriftFeed {
  private readonly listeners = new Set<{ host?: string; fn: DriftListener }>();
  /** id → event_seq of the state last emitted, least recently emitted first. */
  private readonly emitted = new Map<string, number>();
  /** 0 until DriftRelay starts (it advances it to its start time). */
  private newest = 0;

  /** Subscribes to events of `host` (all hosts when undefined); returns the unsubscribe. */
  subscribe(host: string | undefined, fn: DriftListener): () => void {
    const entry = { host, fn };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  get size(): number {
    return this.listeners.size;
  }

  get newestReceivedAt(): number {
    return this.newest;
  }

  /** Moves `newestReceivedAt` forward to `receivedAt` (rows up to it need no re-reading). */
  advance(receivedAt: number): void {
    if (receivedAt > this.newest) this.newest = receivedAt;
  }

  /** Emits drift states this replica stored (stored at `receivedAt`, when known), each of them. */
  publish(drifts: readonly DriftView[], receivedAt?: number): void {
    if (receivedAt !== undefined) this.advance(receivedAt);
    for (const d of drifts) this.emit(d);
  }

  /** Emits rows read back from the store, in the given order, skipping states not newer than emitted ones. */
  publishStored(rows: readonly StoredDrift[]): number {
    let sent = 0;
    for (const r of rows) {
      this.advance(r.receivedAt);
      const before = this.emitted.get(r.drift.id);
      if (before !== undefined && before >= r.drift.eventSeq) continue;
      this.emit(r.drift);
      sent += 1;
    }
    return sent;
  }

  private emit(d: DriftView): void {
    this.emitted.delete(d.id);
    this.emitted.set(d.id, d.eventSeq);
    if (this.emitted.size > FEED_REMEMBERED_IDS) this.emitted.delete(this.emitted.keys().next().value as string);
    for (const l of [...this.listeners]) {
      if (l.host !== undefined && l.host !== d.host) continue;
      try {
        l.fn(d);
      } catch {
        this.listeners.delete(l);
      }
    }
  }
}
