import { describeError, type Logger } from "../../common/index.js";
import type { ReplicaSignals } from "../replicas/index.js";
import type { DriftFeed, StoredDrift } from "./drift-feed.js";
import type { EventStore } from "./event-store.js";
import { lastOccurrences } from "./ingest-signals.js";

/**
 * How far before the newest received_at it emitted a resync re-reads (ms): a batch stamped
 * earlier may commit later (its transaction's duration), and replicas stamp with their own
 * StoreClock (agreeing to within a round trip, not exactly).
 */
export const DEFAULT_RESYNC_SLACK_MS = 10_000;
/** Rows a resync reads per statement. */
export const RESYNC_PAGE = 1_000;

export interface DriftRelayOptions {
  signals: ReplicaSignals;
  store: EventStore;
  feed: DriftFeed;
  log: Logger;
  /** The clock received_at is stamped with (the Ingestor's: a StoreClock's now on PostgreSQL). */
  now?: () => number;
  resyncSlackMs?: number;
}

/**
 * Brings drift stored by other replicas to this replica's DriftFeed, so `drift watch` and
 * the dashboard on any replica show every replica's ingest. Contract:
 * - a `drift` signal from another replica (this replica's own are skipped: its Ingestor
 *   published them to the feed already) is read back by its ids in one statement and the rows
 *   go to `feed.publishStored` in the signal's order (the publisher's batch order);
 * - signals are handled one at a time, in the order they arrive; ids of signals that arrived
 *   while a read ran are read together in the next statement;
 * - while the feed has no watchers, nothing is read (the ids are dropped; the resync point
 *   moves to now);
 * - on resync (the listening connection was lost, so signals may have been): every row with
 *   received_at ≥ feed.newestReceivedAt − resyncSlackMs is read, RESYNC_PAGE rows a statement
 *   in (received_at, host, event_seq) order, and published the same way (publishStored emits
 *   only states newer than those emitted: what watchers saw is not sent again);
 * - a read that fails is logged and retried as a resync (nothing is lost for it).
 */
export class DriftRelay {
  private pending: string[] = [];
  private resync = false;
  private running: Promise<void> | undefined;
  private readonly off: (() => void)[] = [];
  private readonly now: () => number;
  private stopped = false;

  private constructor(private readonly o: DriftRelayOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Subscribes to `drift` signals and resyncs; rows stored before now are not relayed. */
  static start(o: DriftRelayOptions): DriftRelay {
    const r = new DriftRelay(o);
    o.feed.advance(r.now());
    r.off.push(
      o.signals.subscribe("drift", (s) => {
        if (s.from === o.signals.replica) return;
        r.pending.push(...s.ids);
        r.kick();
      }),
      o.signals.onResync(() => {
        r.resync = true;
        r.kick();
      }),
    );
    return r;
  }

  /** Resolves once every signal received so far is handled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    for (const off of this.off.splice(0)) off();
    this.pending = [];
  }

  private kick(): void {
    if (this.stopped) return;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      if (!this.stopped && (this.resync || this.pending.length > 0)) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && (this.resync || this.pending.length > 0)) {
      const { feed } = this.o;
      if (feed.size === 0) {
        this.pending = [];
        this.resync = false;
        feed.advance(this.now());
        continue;
      }
      try {
        if (this.resync) {
          this.resync = false;
          await this.reread();
        } else {
          const ids = lastOccurrences(this.pending);
          this.pending = [];
          feed.publishStored(await this.o.store.driftByIds(ids));
        }
      } catch (err) {
        this.o.log.warn({ err: describeError(err) }, "reading drift stored by another replica failed; re-reading");
        this.resync = true;
        await new Promise((r) => setTimeout(r, 500).unref());
      }
    }
  }

  /** The resync rule (class contract). */
  private async reread(): Promise<void> {
    const { feed, store } = this.o;
    const from = feed.newestReceivedAt - (this.o.resyncSlackMs ?? DEFAULT_RESYNC_SLACK_MS);
    let after: { receivedAt: number; host: string; eventSeq: number } | undefined;
    let sent = 0;
    for (;;) {
      const page: StoredDrift[] = await store.driftReceivedFrom(from, after, RESYNC_PAGE);
      sent += feed.publishStored(page);
      if (page.length < RESYNC_PAGE || this.stopped) break;
      const last = page[page.length - 1]!;
      after = { receivedAt: last.receivedAt, host: last.drift.host, eventSeq: last.drift.eventSeq };
    }
    this.o.log.info({ from, sent }, "replica signals resynced: drift stored meanwhile re-read");
  }
}
