import * as grpc from "@grpc/grpc-js";
import type { AgentMessage__Output } from "../../generated/proto/fleet/v1/AgentMessage.js";
import { describeError, type Logger } from "../../common/index.js";
import type { AgentSession, AgentStreamHooks } from "../agents/index.js";
import type { DriftFeed } from "./drift-feed.js";
import type { EventStore, HostEvents, StoredChanges } from "./event-store.js";
import type { AgentEvent } from "./types.js";
import { validateAgentEvent } from "./validate-event.js";

export interface IngestOptions {
  /** Events wait at most this long to be written together with others. */
  batchDelayMs: number;
  /** A batch this large is written at once. */
  maxBatch: number;
}

export const DEFAULT_INGEST_OPTIONS: IngestOptions = { batchDelayMs: 2, maxBatch: 2_000 };

/** Runs inside the batch's transaction with what it changed (e.g. queue alerts durably). */
export type ChangesSink = (changes: StoredChanges, now: number) => void;

interface Queued {
  session: AgentSession;
  host: string;
  event: AgentEvent;
}

/**
 * The AgentService `onEvent` hook for Reports and DriftEvents. Contract:
 * - a message is validated synchronously; an invalid one throws ProtocolError (its stream
 *   is reset, other streams are untouched);
 * - valid events are batched (at most `batchDelayMs`, at most `maxBatch`) and written in ONE
 *   transaction together with whatever `sink` adds;
 * - only after the commit, each session that contributed gets EventsAck{up_to_event_seq =
 *   its host's stored last_event_seq}; duplicates (event_seq ≤ stored) are acked, not stored;
 * - then changed drift events are published to the feed;
 * - a failed write acks nothing and resets the affected streams (the agents replay).
 */
export class Ingestor implements AgentStreamHooks {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly sinks: ChangesSink[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly feed: DriftFeed,
    private readonly log: Logger,
    private readonly options: IngestOptions = DEFAULT_INGEST_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds a sink run inside every batch's transaction. */
  addSink(sink: ChangesSink): void {
    this.sinks.push(sink);
  }

  onEvent(session: AgentSession, msg: AgentMessage__Output): void {
    const host = session.host;
    if (host === undefined) return;
    const event = validateAgentEvent(msg);
    this.queue.push({ session, host, event });
    if (this.queue.length >= this.options.maxBatch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.batchDelayMs);
  }

  /** Writes everything queued now (also used at shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const items = this.queue;
    this.queue = [];
    const byHost = new Map<string, HostEvents>();
    for (const q of items) {
      let h = byHost.get(q.host);
      if (!h) byHost.set(q.host, (h = { host: q.host, events: [] }));
      h.events.push(q.event);
    }
    const sessions = new Set(items.map((q) => q.session));
    const now = this.now();
    let changes: StoredChanges;
    try {
      changes = this.store.store([...byHost.values()], now, (c) => {
        for (const sink of this.sinks) sink(c, now);
      });
    } catch (err) {
      this.log.error({ err: describeError(err), events: items.length }, "could not store agent events; resetting their streams so they replay");
      for (const s of sessions) s.close("controller could not store events; reconnect and replay", grpc.status.UNAVAILABLE);
      return;
    }
    for (const s of sessions) {
      const upTo = changes.lastEventSeq.get(s.host!);
      if (upTo !== undefined) s.send({ eventsAck: { upToEventSeq: upTo } });
    }
    if (changes.duplicates > 0) this.log.debug({ duplicates: changes.duplicates }, "replayed events already stored; acknowledged");
    if (changes.conflicts > 0) this.log.warn({ conflicts: changes.conflicts }, "drift events reuse ids owned by another host; ignored");
    this.feed.publish(changes.drift.map((c) => c.drift));
  }
}
