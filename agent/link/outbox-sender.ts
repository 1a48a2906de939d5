import { describeError } from "../../common/errors.js";
import type { Logger } from "../../common/logging.js";
import type { Outbox } from "../state/index.js";
import type { EventBody } from "./controller-link.js";
import { fitEvent } from "./fit-event.js";

/** The link as the sender sees it. */
export interface EventLink {
  sendEvent(body: EventBody): boolean;
}

/** Entries sent and not yet acknowledged, at most. */
export const DEFAULT_SEND_WINDOW = 256;

/**
 * Moves outbox entries to the controller in event_seq order.
 * Contract:
 * - after each Welcome: deletes entries ≤ Welcome.lastEventSeq (already stored) and sends
 *   the rest in order (a replay), at most `window` unacknowledged at a time;
 * - `flush()` (new entries recorded) sends what is not sent yet on this stream;
 * - EventsAck deletes entries ≤ upTo and sends the next ones;
 * - nothing is deleted without the controller's word; a stream that breaks leaves the rest
 *   for the replay after the next Welcome.
 * When the controller has stored more than this outbox ever numbered (a wiped or rolled-back
 * state folder), pending entries are renumbered after its number and the counter moves past
 * them, so they are neither dropped as "already stored" nor taken for duplicates.
 */
export class OutboxSender {
  private ready = false;
  private sentUpTo = 0;
  private ackedUpTo = 0;

  constructor(
    private readonly link: EventLink,
    private readonly outbox: Outbox,
    private readonly log: Logger,
    private readonly window = DEFAULT_SEND_WINDOW,
  ) {}

  onWelcome(lastEventSeq: number): void {
    const before = this.outbox.stats();
    let dropped = 0;
    if (lastEventSeq > before.lastEventSeq) {
      // The controller holds numbers this outbox never gave out (state folder reset, or a
      // database rolled back by a power loss): everything pending is new to it.
      const moved = this.outbox.renumberAfter(lastEventSeq);
      this.log.warn(
        { controllerLastEventSeq: lastEventSeq, localLastEventSeq: before.lastEventSeq, renumbered: moved },
        "controller has stored more events than this agent numbered (state reset?); pending events renumbered after its number",
      );
    } else {
      dropped = this.outbox.ack(lastEventSeq);
    }
    const s = this.outbox.stats();
    this.ready = true;
    this.sentUpTo = lastEventSeq;
    this.ackedUpTo = lastEventSeq;
    if (dropped > 0 || s.entries > 0)
      this.log.info({ alreadyStored: dropped, toReplay: s.entries }, "replaying outbox");
    this.flush();
  }

  onAck(acked: number): void {
    // never delete what was not sent on this stream (a controller acking ahead would lose it)
    const upTo = Math.min(acked, this.sentUpTo);
    if (upTo < acked)
      this.log.warn(
        { acked, sentUpTo: this.sentUpTo },
        "controller acknowledged events not sent yet; ignoring the excess",
      );
    if (upTo <= this.ackedUpTo) return;
    this.ackedUpTo = upTo;
    this.outbox.ack(upTo);
    this.flush();
  }

  /** The stream is gone: nothing more is sent until the next Welcome. */
  onDisconnect(): void {
    this.ready = false;
  }

  flush(): void {
    if (!this.ready) return;
    for (const e of this.outbox.pending(this.ackedUpTo, this.window)) {
      if (e.eventSeq <= this.sentUpTo) continue;
      let body: EventBody;
      try {
        const payload = JSON.parse(e.payloadJson) as Record<string, unknown>;
        body =
          e.type === "report"
            ? { report: { ...payload, eventSeq: e.eventSeq } }
            : { drift: { ...payload, eventSeq: e.eventSeq } };
      } catch (err) {
        this.log.error({ eventSeq: e.eventSeq, err: describeError(err) }, "unreadable outbox entry; dropping it");
        this.outbox.drop(e.eventSeq);
        continue;
      }
      const fitted = fitEvent(body);
      if (fitted === null) {
        this.log.error(
          { eventSeq: e.eventSeq, type: e.type },
          "outbox entry too large to send even when trimmed; dropping it",
        );
        this.outbox.drop(e.eventSeq);
        continue;
      }
      if (fitted !== body)
        this.log.warn({ eventSeq: e.eventSeq, type: e.type }, "outbox entry too large; sending it trimmed");
      body = fitted;
      if (!this.link.sendEvent(body)) {
        this.ready = false;
        return;
      }
      this.sentUpTo = e.eventSeq;
    }
  }
}
