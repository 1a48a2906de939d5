import * as grpc from "@grpc/grpc-js";
import type { AgentMessage__Output } from "../../generated/proto/fleet/v1/AgentMessage.js";
import { describeError, type Logger, type Queryable } from "../../common/index.js";
import { storeFailureRetryAfterMs, type AgentSession, type AgentStreamHooks } from "../agents/index.js";
import type { HostConditions } from "../hosts/index.js";
import type { DriftFeed } from "./drift-feed.js";
import type { EventStore, HostEvents, StoredChanges } from "./event-store.js";
import { validateAgentEvent, type AgentEvent } from "../agent-messages/index.js";

export interface IngestOptions {
  /** Events wait at most this long to be written together with others. */
  batchDelayMs: number;
  /** A batch this large is written at once. */
  maxBatch: number;
}

/** 10 ms: each batch is one fsync'd commit (~1 ms here), so at most ~10% of the loop goes to fsync. */
export const DEFAULT_INGEST_OPTIONS: IngestOptions = { batchDelayMs: 10, maxBatch: 2_000 };

/** Runs inside the batch's transaction with what it changed (e.g. queue alerts durably on `tx`). */
export type ChangesSink = (changes: StoredChanges, now: number, tx: Queryable) => unknown;

/**
 * What one written batch did, told after its commit (and acknowledgements) to batch listeners
 * (e.g. metrics). Times are ms since the epoch.
 */
export interface IngestBatch {
  /** Events in the batch (stored, duplicate or not stored). */
  events: number;
  /** When the batch's first event arrived, and when its writing began and ended. */
  receivedAt: number;
  writeStartedAt: number;
  doneAt: number;
  /** What each committed write changed (one, or one per host after a failed batch write). */
  stored: readonly StoredChanges[];
  /** Hosts whose events could not be stored (their streams were reset). */
  failedHosts: string[];
}

export type BatchListener = (batch: IngestBatch) => void;

interface Queued {
  session: AgentSession;
  host: string;
  event: AgentEvent;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/**
 * The AgentService `onEvent` hook for Reports and DriftEvents. Contract:
 * - a message is validated synchronously; an invalid one throws ProtocolError (its stream
 *   is reset, other streams are untouched);
 * - valid events are batched (at most `batchDelayMs`, at most `maxBatch`) and written in ONE
 *   transaction together with whatever `sink` adds;
 * - only after the commit, each session that contributed gets EventsAck{up_to_event_seq =
 *   its host's stored last_event_seq}; duplicates (event_seq ≤ stored) are acked, not stored;
 * - then changed drift events are published to the feed (with the batch's received_at, the
 *   feed's resync point); batch listeners are told last (signalIngest tells other replicas);
 * - a failed write acks nothing and resets the affected streams (the agents replay);
 * - batches are written one after the other: a batch (with its host-by-host retries) is
 *   committed or given up before the next one starts, so a host's later events are never
 *   stored ahead of its earlier ones.
 */
export class Ingestor implements AgentStreamHooks {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly sinks: ChangesSink[] = [];
  private readonly batchListeners: BatchListener[] = [];
  /** The batch being written (batches are written in order, one at a time). */
  private writing: Promise<void> = Promise.resolve();
  /** A write is chained that will take what is queued when it starts (flush()). */
  private cutPending = false;

  constructor(
    private readonly store: EventStore,
    private readonly feed: DriftFeed,
    private readonly log: Logger,
    private readonly options: IngestOptions = DEFAULT_INGEST_OPTIONS,
    private readonly now: () => number = Date.now,
    /** Told which hosts' events could not be stored (their compliance is unknown until they are). */
    private readonly conditions?: HostConditions,
  ) {}

  /** Adds a sink run inside every batch's transaction. */
  addSink(sink: ChangesSink): void {
    this.sinks.push(sink);
  }

  /** Adds a listener told about every written batch after its commit; a listener that throws is logged, never fails the batch. */
  onBatch(listener: BatchListener): void {
    this.batchListeners.push(listener);
  }

  onEvent(session: AgentSession, msg: AgentMessage__Output): void {
    const host = session.host;
    if (host === undefined) return;
    const event = validateAgentEvent(msg, session.protocol);
    this.queue.push({ session, host, event, at: this.now() });
    if (this.queue.length >= this.options.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.batchDelayMs);
  }

  /**
   * Writes everything queued now (also used at shutdown); resolves once it and every earlier
   * batch are written. A batch is cut when its write STARTS, not when it is flushed: events
   * that arrive while the previous batch is being written join the next one (group commit),
   * so batches grow with the load instead of queueing up small behind one another.
   */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0 || this.cutPending) return this.writing;
    this.cutPending = true;
    this.writing = this.writing.then(() => {
      this.cutPending = false;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      const items = this.queue;
      this.queue = [];
      return items.length > 0 ? this.write(items) : undefined;
    });
    return this.writing;
  }

  /** One batch: stored in one transaction, else host by host; then acknowledged. Never rejects. */
  private async write(items: Queued[]): Promise<void> {
    const byHost = new Map<string, HostEvents>();
    for (const q of items) {
      let h = byHost.get(q.host);
      if (!h) byHost.set(q.host, (h = { host: q.host, events: [] }));
      h.events.push(q.event);
    }
    const now = this.now();
    const stored: StoredChanges[] = [];
    const failedHosts: string[] = [];
    const write = (hosts: HostEvents[]) =>
      this.store.store(hosts, now, async (c, tx) => {
        for (const sink of this.sinks) await sink(c, now, tx);
      });
    try {
      stored.push(await write([...byHost.values()]));
    } catch (err) {
      // One host's bad events must not block the others: retry host by host and reset only
      // the streams of hosts whose write still fails (they replay after reconnecting).
      this.log.warn(
        { err: describeError(err), events: items.length },
        "storing a batch of agent events failed; retrying host by host",
      );
      for (const h of byHost.values()) {
        try {
          stored.push(await write([h]));
        } catch (hostErr) {
          this.log.error(
            { host: h.host, err: describeError(hostErr) },
            "could not store this host's events; resetting its stream so it replays",
          );
          failedHosts.push(h.host);
          this.conditions?.setStoreFailure(h.host, describeError(hostErr));
          // the agent keeps them and replays; it waits ≥ 5 s (jittered) so a store that keeps
          // failing is not met by a reconnect loop of TLS handshakes
          const retryAfterMs = storeFailureRetryAfterMs();
          for (const s of new Set(items.filter((q) => q.host === h.host).map((q) => q.session)))
            s.close(
              "controller could not store events (its store cannot write); reconnect later and replay",
              grpc.status.UNAVAILABLE,
              retryAfterMs,
            );
        }
      }
    }
    for (const changes of stored)
      for (const host of changes.lastEventSeq.keys()) this.conditions?.setStoreFailure(host, null);
    for (const changes of stored) {
      try {
        this.acknowledge(items, changes, now);
      } catch (err) {
        this.log.error({ err: describeError(err) }, "acknowledging stored agent events failed");
      }
    }
    if (this.batchListeners.length === 0) return;
    const batch: IngestBatch = {
      events: items.length,
      receivedAt: items.reduce((min, q) => Math.min(min, q.at), now),
      writeStartedAt: now,
      doneAt: this.now(),
      stored,
      failedHosts,
    };
    for (const listener of this.batchListeners) {
      try {
        listener(batch);
      } catch (err) {
        this.log.error({ err: describeError(err) }, "an ingest batch listener failed");
      }
    }
  }

  /** After a durable write: ack each stream up to what is stored for its host, then publish. */
  private acknowledge(
    items: readonly { session: AgentSession; host: string }[],
    changes: StoredChanges,
    receivedAt: number,
  ): void {
    for (const s of new Set(items.filter((q) => changes.lastEventSeq.has(q.host)).map((q) => q.session))) {
      if (!s.closed) s.send({ eventsAck: { upToEventSeq: changes.lastEventSeq.get(s.host!)! } });
    }
    if (changes.duplicates > 0)
      this.log.debug({ duplicates: changes.duplicates }, "replayed events already stored; acknowledged");
    if (changes.conflicts > 0)
      this.log.warn({ conflicts: changes.conflicts }, "drift events reuse ids owned by another host; ignored");
    this.feed.publish(
      changes.drift.map((c) => c.drift),
      receivedAt,
    );
  }
}
