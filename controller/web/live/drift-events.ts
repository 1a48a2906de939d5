import { describeError } from "../../../common/index.js";
import type { DriftView } from "../../agent-messages/index.js";
import { html, type Html } from "../html.js";
import type { Route } from "../route.js";
import type { WebDeps } from "../deps.js";
import { driftRow, driftRowId } from "./drift-row.js";
import { MAX_DRIFT_ROWS } from "./drift-page.js";

/** Rows one stream sends per second at most; the rest are counted and announced (drift-gap). */
export const LIVE_ROWS_PER_SECOND = 50;
/** Rows one stream keeps on the page beyond those the page rendered: older ones are removed. */
export const LIVE_ROWS_KEPT = 500;
/** A comment-like `ping` event this often, so a dead connection is noticed by a failing write. */
export const PING_MS = 25_000;

type Send = (event: string, data: string) => void;

const deleteRow = (id: string): Html => html`<tr id="${driftRowId(id)}" hx-swap-oob="delete"></tr>`;

/**
 * One browser's live drift: turns each drift event into the `drift` message htmx prepends to
 * the timeline's body. Contracts:
 * - an event whose row may already be on the page (sent by this stream, or detected no later
 *   than `after`, the newest row the page rendered) first removes that row (an out-of-band
 *   `delete`), so a changed event (resolved, repaired) moves to the top with its new state;
 * - at most LIVE_ROWS_KEPT rows sent by the stream stay on the page (the oldest is removed);
 * - at most LIVE_ROWS_PER_SECOND rows a second are sent; what is over is counted and
 *   announced once the second is over (`drift-gap`), never queued: nothing is buffered here.
 */
export class DriftStream {
  /** Ids of the rows this stream put on the page, oldest first. */
  private readonly shown = new Set<string>();
  private windowStart = 0;
  private inWindow = 0;
  private dropped = 0;
  private gapTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly send: Send,
    private readonly after: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sends `d` (or counts it when over the rate). */
  push(d: DriftView): void {
    if (this.closed) return;
    const t = this.now();
    if (t - this.windowStart >= 1_000) {
      this.windowStart = t;
      this.inWindow = 0;
    }
    if (this.inWindow >= LIVE_ROWS_PER_SECOND) {
      this.dropped += 1;
      this.gapTimer ??= setTimeout(() => this.announceGap(), 1_000 - (t - this.windowStart));
      this.gapTimer.unref();
      return;
    }
    this.inWindow += 1;
    const parts: Html[] = [];
    if (this.shown.delete(d.id) || d.detectedAt <= this.after) parts.push(deleteRow(d.id));
    this.shown.add(d.id);
    if (this.shown.size > LIVE_ROWS_KEPT) {
      const oldest = this.shown.values().next().value as string;
      this.shown.delete(oldest);
      parts.push(deleteRow(oldest));
    }
    parts.push(driftRow(d));
    this.send("drift", html`${parts}`.value);
  }

  /** Whether this stream already sent `id` (a replayed event that also came live is sent once). */
  has(id: string): boolean {
    return this.shown.has(id);
  }

  ping(): void {
    if (!this.closed) this.send("ping", "");
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }

  private announceGap(): void {
    this.gapTimer = undefined;
    if (this.closed || this.dropped === 0) return;
    const n = this.dropped;
    this.dropped = 0;
    this.send(
      "drift-gap",
      html`${n} drift event${n === 1 ? "" : "s"} arrived faster than the live view shows (${LIVE_ROWS_PER_SECOND} a second) and ${n === 1 ? "is" : "are"} not shown: <a href="/drift">reload</a> to see them.`
        .value,
    );
  }
}

/**
 * GET /drift/events?host=H&after=MS: server-sent events for the drift timeline, fed by
 * DriftFeed.subscribe (the feed the admin API's WatchDrift uses). Events detected after
 * `after` (the newest row the page rendered) that were stored before the stream subscribed
 * are sent first, so nothing falls between the page and its stream. Ends (and unsubscribes)
 * when the request's signal aborts or a write fails.
 */
export const driftEvents: Route<WebDeps> = {
  method: "GET",
  path: "/drift/events",
  role: "viewer",
  async handle(req, deps) {
    const q = req.url.searchParams;
    const host = (q.get("host") ?? "").trim() || undefined;
    const afterText = q.get("after") ?? "";
    const after = /^\d{1,15}$/.test(afterText) ? Number(afterText) : Date.now();
    if (host !== undefined && !(await deps.hosts.get(host)))
      return { kind: "fragment", status: 404, body: html`host "${host}" is not enrolled` };
    return {
      kind: "events",
      stream: (send, signal) =>
        new Promise<void>((resolve) => {
          if (signal.aborted) return resolve();
          let ended = false;
          const live = new DriftStream(send, after);
          const end = () => {
            if (ended) return;
            ended = true;
            unsubscribe();
            clearInterval(pinger);
            live.close();
            signal.removeEventListener("abort", end);
            resolve();
          };
          const safely = (fn: () => void) => {
            if (ended) return;
            try {
              fn();
            } catch (err) {
              deps.log.debug({ err: describeError(err) }, "a drift stream's write failed; ending it");
              end();
            }
          };
          const unsubscribe = deps.feed.subscribe(host, (d) => safely(() => live.push(d)));
          const pinger = setInterval(() => safely(() => live.ping()), PING_MS);
          pinger.unref();
          signal.addEventListener("abort", end, { once: true });
          deps.events.listDrift({ host, since: after + 1, limit: MAX_DRIFT_ROWS }).then(
            (missed) => {
              for (const d of missed) if (!live.has(d.id)) safely(() => live.push(d));
            },
            (err: unknown) => deps.log.warn({ err: describeError(err) }, "a drift stream could not replay"),
          );
        }),
    };
  },
};
