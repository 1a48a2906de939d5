import { queryableOf, sqlFor, type Queryable, type SqliteDatabase } from "../../common/index.js";
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

interface DeliveryRow {
  id: number;
  url: string;
  payload_json: string;
  attempts: number;
  created_at: number;
}

const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.id,
  url: r.url,
  payloadJson: r.payload_json,
  attempts: r.attempts,
  createdAt: r.created_at,
});

/** Rows one INSERT of `enqueue` carries at most (4 parameters each). */
const INSERT_ROWS = 200;

const PENDING = "delivered_at IS NULL AND abandoned_at IS NULL";

/** The statements, one text for both engines (common/sql's dialect); the claim's lock via sqlFor. */
const SQL = {
  due: `SELECT id, url, payload_json, attempts, created_at FROM alert_deliveries
        WHERE ${PENDING} AND next_at <= ? ORDER BY next_at, id LIMIT ?`,
  nextDue: `SELECT MIN(next_at) AS next_at FROM alert_deliveries WHERE ${PENDING}`,
  claim: "UPDATE alert_deliveries SET next_at = ? WHERE id = ?",
  delivered: "UPDATE alert_deliveries SET delivered_at = ?, attempts = attempts + 1, last_attempt_at = ? WHERE id = ?",
  failed:
    "UPDATE alert_deliveries SET attempts = attempts + 1, next_at = ?, last_error = ?, last_attempt_at = ? WHERE id = ?",
  abandon:
    "UPDATE alert_deliveries SET attempts = attempts + 1, abandoned_at = ?, last_error = ?, last_attempt_at = ? WHERE id = ?",
  abandonUrl: `UPDATE alert_deliveries SET abandoned_at = ?, last_error = ? WHERE url = ? AND ${PENDING}`,
  pendingUrls: `SELECT DISTINCT url FROM alert_deliveries WHERE ${PENDING}`,
  counts: `SELECT COALESCE(SUM(CASE WHEN ${PENDING} THEN 1 ELSE 0 END), 0) AS pending,
                  COALESCE(SUM(CASE WHEN ${PENDING} AND attempts > 0 THEN 1 ELSE 0 END), 0) AS failing,
                  COALESCE(SUM(CASE WHEN abandoned_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS abandoned
           FROM alert_deliveries`,
  // An error counts only while its webhook has not delivered anything since: a recovered
  // webhook shows no last error (a retried delivery's row keeps its error text, but its
  // last attempt is its delivery, so it is not newer than the webhook's last delivery).
  lastError: `SELECT e.last_error, e.last_attempt_at FROM alert_deliveries e
              WHERE e.last_error != '' AND e.last_attempt_at IS NOT NULL
                AND e.last_attempt_at > COALESCE((SELECT MAX(d.delivered_at) FROM alert_deliveries d WHERE d.url = e.url), 0)
              ORDER BY e.last_attempt_at DESC, e.id DESC LIMIT 1`,
  prune:
    "DELETE FROM alert_deliveries WHERE (delivered_at IS NOT NULL AND delivered_at < ?) OR (abandoned_at IS NOT NULL AND abandoned_at < ?)",
};

/** One INSERT of `rows` deliveries (url, payload_json, created_at, next_at). */
const insertText = (rows: number): string =>
  `INSERT INTO alert_deliveries (url, payload_json, created_at, next_at) VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?)").join(", ")}`;

/**
 * Durable webhook deliveries (alert_deliveries): one row per (alert, URL). A row is pending
 * until delivered or abandoned; `last_error` never holds secrets (URLs are redacted by the
 * caller's error text).
 *
 * Claims: `claimDue` is how a dispatcher takes deliveries to send. It moves each taken row's
 * due time to the lease's end in the same transaction that selects it, and on PostgreSQL the
 * selection is `FOR UPDATE SKIP LOCKED`: two dispatchers (two controller replicas) claiming
 * at once get disjoint rows, and a row claimed and committed is no longer due for anyone
 * until its lease ends (a replica that died mid-request leaves it due again then, not lost).
 */
export class AlertQueue {
  private readonly db: Queryable;
  /** The configured webhooks (a bare URL: the default event types, unsigned). */
  readonly webhooks: readonly WebhookConfig[];

  constructor(handle: SqliteDatabase | Queryable, webhooks: readonly (string | WebhookConfig)[]) {
    this.webhooks = webhooks.map((w) => (typeof w === "string" ? { url: w, events: DEFAULT_ALERT_TYPES } : w));
    this.db = queryableOf(handle);
  }

  /** The configured URLs, in order. */
  get urls(): string[] {
    return this.webhooks.map((w) => w.url);
  }

  /** The configuration of the webhook at `url` (undefined: no longer configured). */
  webhook(url: string): WebhookConfig | undefined {
    return this.webhooks.find((w) => w.url === url);
  }

  /**
   * Queues each of `payloads` for every webhook whose event types include its type (runs
   * inside the caller's transaction when given one); resolves with how many rows it queued.
   * One statement per INSERT_ROWS rows.
   */
  async enqueue(payloads: readonly AlertPayload[], now: number, on: Queryable = this.db): Promise<number> {
    const rows: (string | number)[][] = [];
    for (const p of payloads) {
      const body = JSON.stringify(p);
      for (const w of this.webhooks) if (w.events.includes(p.type)) rows.push([w.url, body, now, now]);
    }
    for (let i = 0; i < rows.length; i += INSERT_ROWS) {
      const chunk = rows.slice(i, i + INSERT_ROWS);
      await on.run(insertText(chunk.length), chunk.flat());
    }
    return rows.length;
  }

  /** Pending deliveries due at `now`, oldest due first, at most `limit` (a read: nothing is claimed). */
  async due(now: number, limit: number, on: Queryable = this.db): Promise<Delivery[]> {
    return (await on.all<DeliveryRow>(SQL.due, [now, limit])).map(toDelivery);
  }

  /**
   * Takes up to `limit` deliveries due at `now`, oldest due first, and leases them until
   * `until` (their due time moves there) in one transaction: see the class comment. Rows
   * another transaction is claiming are skipped on PostgreSQL, not waited for.
   */
  claimDue(now: number, limit: number, until: number, on: Queryable = this.db): Promise<Delivery[]> {
    return on.transaction(async (tx) => {
      const rows = await tx.all<DeliveryRow>(
        SQL.due + sqlFor(tx, { sqlite: "", postgres: " FOR UPDATE SKIP LOCKED" }),
        [now, limit],
      );
      if (rows.length > 0)
        await tx.run(`UPDATE alert_deliveries SET next_at = ? WHERE id IN (${rows.map(() => "?").join(", ")})`, [
          until,
          ...rows.map((r) => r.id),
        ]);
      return rows.map(toDelivery);
    });
  }

  /** When the next pending delivery is due (ms), or undefined when none is pending. */
  async nextDueAt(on: Queryable = this.db): Promise<number | undefined> {
    return (await on.get<{ next_at: number | null }>(SQL.nextDue))?.next_at ?? undefined;
  }

  /** Moves a delivery's due time to `until` while a request for it is in flight. */
  async claim(id: number, until: number, on: Queryable = this.db): Promise<void> {
    await on.run(SQL.claim, [until, id]);
  }

  async markDelivered(id: number, now: number, on: Queryable = this.db): Promise<void> {
    await on.run(SQL.delivered, [now, now, id]);
  }

  async markFailed(id: number, nextAt: number, error: string, now: number, on: Queryable = this.db): Promise<void> {
    await on.run(SQL.failed, [nextAt, error, now, id]);
  }

  async markAbandoned(id: number, error: string, now: number, on: Queryable = this.db): Promise<void> {
    await on.run(SQL.abandon, [now, error, now, id]);
  }

  /** Pending deliveries to URLs no longer configured are abandoned (not sent to an old endpoint). */
  async abandonUnconfigured(now: number, on: Queryable = this.db): Promise<number> {
    let n = 0;
    for (const { url } of await on.all<{ url: string }>(SQL.pendingUrls)) {
      if (!this.urls.includes(url))
        n += (await on.run(SQL.abandonUrl, [now, `${redactUrl(url)}: webhook no longer configured`, url])).changes;
    }
    return n;
  }

  async prune(now: number, on: Queryable = this.db): Promise<void> {
    await on.run(SQL.prune, [now - DELIVERED_RETENTION_MS, now - 4 * DELIVERED_RETENTION_MS]);
  }

  async status(on: Queryable = this.db): Promise<AlertsStatus> {
    const c = (await on.get<{ pending: number; failing: number; abandoned: number }>(SQL.counts))!;
    const e = await on.get<{ last_error: string; last_attempt_at: number | null }>(SQL.lastError);
    return {
      webhooks: this.urls.map(redactUrl),
      pending: c.pending,
      failing: c.failing,
      abandoned: c.abandoned,
      lastError: e ? e.last_error : null,
      ...(e?.last_attempt_at ? { lastErrorAt: new Date(e.last_attempt_at).toISOString() } : {}),
    };
  }
}
