import { AsyncDatabase, type Queryable, type SqliteDatabase } from "../../common/index.js";
import type { AlertsStatus } from "../compliance/index.js";
import type { AlertPayload } from "./payloads.js";
import { DEFAULT_ALERT_TYPES, type WebhookConfig } from "./webhook-config.js";
import { redactUrl } from "./webhook-url.js";

export interface Delivery {
  id: number;
  url: string;
  payloadJson: string;
  attempts: number;
  createdAt: number;
}

/** Delivered rows are kept this long, abandoned ones four times as long. */
export const DELIVERED_RETENTION_MS = 7 * 24 * 3600_000;

/**
 * Durable webhook deliveries (alert_deliveries): one row per (alert, URL). A row is pending
 * until delivered or abandoned; `last_error` never holds secrets (URLs are redacted by the
 * caller's error text).
 */
export class AlertQueue {
  private readonly stmts;

  private readonly db: AsyncDatabase;
  /** The configured webhooks (a bare URL: the default event types, unsigned). */
  readonly webhooks: readonly WebhookConfig[];

  constructor(handle: SqliteDatabase | AsyncDatabase, webhooks: readonly (string | WebhookConfig)[]) {
    this.webhooks = webhooks.map((w) => (typeof w === "string" ? { url: w, events: DEFAULT_ALERT_TYPES } : w));
    this.db = AsyncDatabase.of(handle);
    const db = this.db.connection;
    this.stmts = {
      insert: db.prepare("INSERT INTO alert_deliveries (url, payload_json, created_at, next_at) VALUES (?, ?, ?, ?)"),
      due: db.prepare<
        [number, number],
        { id: number; url: string; payload_json: string; attempts: number; created_at: number }
      >(
        `SELECT id, url, payload_json, attempts, created_at FROM alert_deliveries
         WHERE delivered_at IS NULL AND abandoned_at IS NULL AND next_at <= ? ORDER BY next_at, id LIMIT ?`,
      ),
      nextDue: db.prepare<[], { next_at: number }>(
        "SELECT MIN(next_at) AS next_at FROM alert_deliveries WHERE delivered_at IS NULL AND abandoned_at IS NULL",
      ),
      claim: db.prepare("UPDATE alert_deliveries SET next_at = ? WHERE id = ?"),
      delivered: db.prepare(
        "UPDATE alert_deliveries SET delivered_at = ?, attempts = attempts + 1, last_attempt_at = ? WHERE id = ?",
      ),
      failed: db.prepare(
        "UPDATE alert_deliveries SET attempts = attempts + 1, next_at = ?, last_error = ?, last_attempt_at = ? WHERE id = ?",
      ),
      abandon: db.prepare(
        "UPDATE alert_deliveries SET attempts = attempts + 1, abandoned_at = ?, last_error = ?, last_attempt_at = ? WHERE id = ?",
      ),
      abandonUrl: db.prepare(
        "UPDATE alert_deliveries SET abandoned_at = ?, last_error = ? WHERE url = ? AND delivered_at IS NULL AND abandoned_at IS NULL",
      ),
      pendingUrls: db.prepare<[], { url: string }>(
        "SELECT DISTINCT url FROM alert_deliveries WHERE delivered_at IS NULL AND abandoned_at IS NULL",
      ),
      counts: db.prepare<[], { pending: number; failing: number; abandoned: number }>(
        `SELECT COALESCE(SUM(delivered_at IS NULL AND abandoned_at IS NULL), 0) AS pending,
                COALESCE(SUM(delivered_at IS NULL AND abandoned_at IS NULL AND attempts > 0), 0) AS failing,
                COALESCE(SUM(abandoned_at IS NOT NULL), 0) AS abandoned
         FROM alert_deliveries`,
      ),
      // An error counts only while its webhook has not delivered anything since: a recovered
      // webhook shows no last error (a retried delivery's row keeps its error text, but its
      // last attempt is its delivery, so it is not newer than the webhook's last delivery).
      lastError: db.prepare<[], { last_error: string; last_attempt_at: number | null }>(
        `SELECT e.last_error, e.last_attempt_at FROM alert_deliveries e
         WHERE e.last_error != '' AND e.last_attempt_at IS NOT NULL
           AND e.last_attempt_at > COALESCE((SELECT MAX(d.delivered_at) FROM alert_deliveries d WHERE d.url = e.url), 0)
         ORDER BY e.last_attempt_at DESC, e.id DESC LIMIT 1`,
      ),
      prune: db.prepare(
        "DELETE FROM alert_deliveries WHERE (delivered_at IS NOT NULL AND delivered_at < ?) OR (abandoned_at IS NOT NULL AND abandoned_at < ?)",
      ),
    };
  }

  /** The configured URLs, in order. */
  get urls(): string[] {
    return this.webhooks.map((w) => w.url);
  }

  /** The configuration of the webhook at `url` (undefined: no longer configured). */
  webhook(url: string): WebhookConfig | undefined {
    return this.webhooks.find((w) => w.url === url);
  }

  /** Queues each of `payloads` for every webhook whose event types include its type (runs inside the caller's transaction). */
  enqueue(payloads: readonly AlertPayload[], now: number, on: Queryable = this.db): Promise<number> {
    return on.write(() => {
      let n = 0;
      for (const p of payloads) {
        const body = JSON.stringify(p);
        for (const w of this.webhooks) {
          if (!w.events.includes(p.type)) continue;
          this.stmts.insert.run(w.url, body, now, now);
          n += 1;
        }
      }
      return n;
    });
  }

  due(now: number, limit: number, on: Queryable = this.db): Promise<Delivery[]> {
    return on.read(() => {
      return this.stmts.due.all(now, limit).map((r) => ({
        id: r.id,
        url: r.url,
        payloadJson: r.payload_json,
        attempts: r.attempts,
        createdAt: r.created_at,
      }));
    });
  }

  /** When the next pending delivery is due (ms), or undefined when none is pending. */
  nextDueAt(on: Queryable = this.db): Promise<number | undefined> {
    return on.read(() => this.stmts.nextDue.get()?.next_at ?? undefined);
  }

  /** Moves a delivery's due time to `until` while a request for it is in flight. */
  claim(id: number, until: number, on: Queryable = this.db): Promise<void> {
    return on.write(() => {
      this.stmts.claim.run(until, id);
    });
  }

  markDelivered(id: number, now: number, on: Queryable = this.db): Promise<void> {
    return on.write(() => {
      this.stmts.delivered.run(now, now, id);
    });
  }

  markFailed(id: number, nextAt: number, error: string, now: number, on: Queryable = this.db): Promise<void> {
    return on.write(() => {
      this.stmts.failed.run(nextAt, error, now, id);
    });
  }

  markAbandoned(id: number, error: string, now: number, on: Queryable = this.db): Promise<void> {
    return on.write(() => {
      this.stmts.abandon.run(now, error, now, id);
    });
  }

  /** Pending deliveries to URLs no longer configured are abandoned (not sent to an old endpoint). */
  abandonUnconfigured(now: number, on: Queryable = this.db): Promise<number> {
    return on.write(() => {
      let n = 0;
      for (const { url } of this.stmts.pendingUrls.all()) {
        if (!this.urls.includes(url))
          n += this.stmts.abandonUrl.run(now, `${redactUrl(url)}: webhook no longer configured`, url).changes;
      }
      return n;
    });
  }

  prune(now: number, on: Queryable = this.db): Promise<void> {
    return on.write(() => {
      this.stmts.prune.run(now - DELIVERED_RETENTION_MS, now - 4 * DELIVERED_RETENTION_MS);
    });
  }

  status(on: Queryable = this.db): Promise<AlertsStatus> {
    return on.read(() => {
      const c = this.stmts.counts.get()!;
      const e = this.stmts.lastError.get();
      return {
        webhooks: this.urls.map(redactUrl),
        pending: c.pending,
        failing: c.failing,
        abandoned: c.abandoned,
        lastError: e ? e.last_error : null,
        ...(e?.last_attempt_at ? { lastErrorAt: new Date(e.last_attempt_at).toISOString() } : {}),
      };
    });
  }
}
