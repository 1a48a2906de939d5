import { backoffDelay, describeError, VERSION, type BackoffOptions, type Logger } from "../../common/index.js";
import type { AlertQueue, Delivery } from "./alert-queue.js";
import { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./signature.js";
import { redactUrl } from "./webhook-url.js";

export interface DispatcherOptions {
  /** Deliveries in flight at once (all URLs together). */
  concurrency: number;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Retry delays: capped exponential with jitter. */
  backoff: BackoffOptions;
  /** Attempts before a delivery is abandoned. */
  maxAttempts: number;
  /** Longest sleep between queue checks when nothing is due sooner. */
  pollMs: number;
}

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  concurrency: 4,
  timeoutMs: 5_000,
  backoff: { initialMs: 1_000, maxMs: 5 * 60_000, multiplier: 2 },
  maxAttempts: 20,
  pollMs: 5_000,
};

export interface PostResult {
  status: number;
}

/** Sends one POST; resolves with the HTTP status, rejects on network errors and timeouts. */
export type Poster = (
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
) => Promise<PostResult>;

/** The default Poster: fetch, no redirects followed, userinfo moved to Basic authorization. */
export const fetchPoster: Poster = async (url, body, headers, timeoutMs, signal) => {
  const u = new URL(url);
  const h: Record<string, string> = { ...headers };
  if (u.username || u.password) {
    h.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`;
    u.username = "";
    u.password = "";
  }
  const res = await fetch(u, {
    method: "POST",
    body,
    headers: h,
    redirect: "manual",
    signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
  });
  await res.body?.cancel().catch(() => undefined);
  return { status: res.status };
};

export interface DispatcherDeps {
  now: () => number;
  random: () => number;
  post: Poster;
}

/** Delay before retry number `attempts` (1 = after the first failure): capped, jittered. */
export function retryDelay(attempts: number, backoff: BackoffOptions, random: () => number = Math.random): number {
  return backoffDelay(Math.max(0, attempts - 1), backoff, random);
}

/**
 * Delivers queued webhooks in the background. Contract: never blocks ingestion (it claims
 * due rows in short transactions of its own); several dispatchers on one store (controller
 * replicas) never send the same delivery at once: each takes rows with AlertQueue.claimDue,
 * which leases them atomically; at most `concurrency` requests in flight; a 2xx answer delivers, anything
 * else (status, network error, timeout) is retried with capped jittered backoff until
 * `maxAttempts`, then abandoned; errors are logged and stored with URLs redacted. Delivery
 * is at-least-once: each POST carries `x-virtfleet-delivery` (stable per delivery) so
 * receivers can drop duplicates, and `x-virtfleet-event` (the payload's type). A webhook with
 * a secret gets every attempt signed (controller/alerts/signature.ts: timestamp and
 * HMAC-SHA256 over timestamp and body); the secret is never logged or stored.
 */
/** How one delivery attempt ended: delivered (2xx), failed (to be retried) or abandoned (retry budget spent). */
export type DeliveryOutcome = "delivered" | "failed" | "abandoned";

export class WebhookDispatcher {
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly outcomeListeners: ((outcome: DeliveryOutcome) => void)[] = [];
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private lastPrune = 0;
  /** The queue check running (checks run one at a time: two would both start the same due rows). */
  private pumping: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly queue: AlertQueue,
    private readonly log: Logger,
    private readonly options: DispatcherOptions = DEFAULT_DISPATCHER_OPTIONS,
    private readonly deps: DispatcherDeps = { now: Date.now, random: Math.random, post: fetchPoster },
  ) {}

  async start(): Promise<void> {
    this.started = true;
    const dropped = await this.queue.abandonUnconfigured(this.deps.now());
    if (dropped > 0) this.log.warn({ dropped }, "abandoned pending deliveries to webhooks no longer configured");
    this.schedule(0);
  }

  /** Adds a listener told how each attempt ended, after the queue recorded it (e.g. metrics); it must not throw. */
  onOutcome(listener: (outcome: DeliveryOutcome) => void): void {
    this.outcomeListeners.push(listener);
  }

  private told(outcome: DeliveryOutcome): void {
    for (const l of this.outcomeListeners) {
      try {
        l(outcome);
      } catch (err) {
        this.log.error({ err: describeError(err) }, "a webhook outcome listener failed");
      }
    }
  }

  /** Something was queued: check the queue now. */
  kick(): void {
    if (this.started) this.schedule(0);
  }

  /** Stops the loop and aborts requests in flight (they stay pending and are retried after a restart). */
  stop(): void {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
  }

  /** Starts due deliveries up to the concurrency bound; resolves with how many started (checks run one at a time). */
  pump(): Promise<number> {
    const run = this.pumping.then(() => this.pumpOnce());
    this.pumping = run.catch(() => undefined);
    return run;
  }

  private async pumpOnce(): Promise<number> {
    const now = this.deps.now();
    if (now - this.lastPrune > 3600_000) {
      this.lastPrune = now;
      await this.queue.prune(now);
    }
    const free = this.options.concurrency - this.inFlight.size;
    let started = 0;
    if (free > 0) {
      // The requests start together on the next turn: this check (and one right after it) sees
      // their slots taken, whatever the store's promises resolve in between.
      const turn = new Promise<void>((resolve) => setImmediate(resolve));
      // Claimed atomically with a lease (AlertQueue.claimDue): another replica's dispatcher
      // never gets the same rows, and a crash mid-request leaves a row due again after the
      // lease, not lost.
      for (const d of await this.queue.claimDue(now, free, now + this.options.timeoutMs + 1_000)) {
        // Still in flight here past its lease (a stalled request): its lease was just renewed.
        if (this.inFlight.has(d.id)) continue;
        const p = turn
          .then(() => this.deliver(d))
          .finally(() => {
            this.inFlight.delete(d.id);
            if (this.started) this.schedule(0);
          });
        this.inFlight.set(d.id, p);
        started += 1;
      }
    }
    if (this.started && this.inFlight.size < this.options.concurrency) {
      const next = await this.queue.nextDueAt();
      const wait = next === undefined ? this.options.pollMs : Math.min(this.options.pollMs, next - this.deps.now());
      this.schedule(Math.max(1, wait));
    }
    return started;
  }

  /** Resolves when every delivery in flight has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()]);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump().catch((err: unknown) => {
        this.log.error({ err: describeError(err) }, "webhook queue check failed");
        if (this.started) this.schedule(this.options.pollMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  /** The request headers of one attempt: identity, event type and, with a secret, the signature. */
  private headers(d: Delivery, attempt: number): Record<string, string> {
    const h: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": `virtfleet-controller/${VERSION}`,
      "x-virtfleet-delivery": String(d.id),
      "x-virtfleet-attempt": String(attempt),
      "x-virtfleet-event": eventType(d.payloadJson),
    };
    const secret = this.queue.webhook(d.url)?.secret;
    if (secret !== undefined) {
      const ts = Math.floor(this.deps.now() / 1000);
      h[TIMESTAMP_HEADER] = String(ts);
      h[SIGNATURE_HEADER] = signWebhook(secret, ts, d.payloadJson);
    }
    return h;
  }

  private async deliver(d: Delivery): Promise<void> {
    const where = redactUrl(d.url);
    const attempt = d.attempts + 1;
    let error: string;
    try {
      const res = await this.deps.post(
        d.url,
        d.payloadJson,
        this.headers(d, attempt),
        this.options.timeoutMs,
        this.abort.signal,
      );
      if (res.status >= 200 && res.status < 300) {
        await this.queue.markDelivered(d.id, this.deps.now());
        this.told("delivered");
        this.log.debug({ webhook: where, delivery: d.id, attempt }, "webhook delivered");
        return;
      }
      error = `${where}: HTTP ${res.status}`;
    } catch (err) {
      if (this.abort.signal.aborted) return;
      error = `${where}: ${scrub(describeError(err), d.url)}`;
    }
    const now = this.deps.now();
    if (attempt >= this.options.maxAttempts) {
      await this.queue.markAbandoned(d.id, `${error} (gave up after ${attempt} attempts)`, now);
      this.told("abandoned");
      this.log.error({ webhook: where, delivery: d.id, attempts: attempt, err: error }, "webhook delivery abandoned");
      return;
    }
    const delay = retryDelay(attempt, this.options.backoff, this.deps.random);
    await this.queue.markFailed(d.id, now + delay, error, now);
    this.told("failed");
    this.log.warn(
      { webhook: where, delivery: d.id, attempt, retryInMs: delay, err: error },
      "webhook delivery failed; will retry",
    );
  }
}

/** Removes the raw URL (and its query) from an error message. */
function scrub(message: string, url: string): string {
  const u = new URL(url);
  let out = message.split(url).join(redactUrl(url));
  if (u.search) out = out.split(u.search).join("?[redacted]");
  if (u.password) out = out.split(u.password).join("[redacted]");
  if (u.username) out = out.split(u.username).join("[redacted]");
  return out;
}

/** The payload's `type` (rows are written by AlertQueue.enqueue from AlertPayload), or "unknown". */
function eventType(payloadJson: string): string {
  try {
    const t = (JSON.parse(payloadJson) as { type?: unknown }).type;
    return typeof t === "string" ? t : "unknown";
  } catch {
    return "unknown";
  }
}
