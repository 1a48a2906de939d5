import type { Logger, Queryable, SqliteDatabase } from "../../common/index.js";
import type { AlertsStatus } from "../compliance/index.js";
import type { StoredChanges } from "../ingest/index.js";
import { AlertQueue } from "./alert-queue.js";
import {
  DEFAULT_DISPATCHER_OPTIONS,
  WebhookDispatcher,
  type DeliveryOutcome,
  type DispatcherOptions,
} from "./dispatcher.js";
import { alertsFor } from "./payloads.js";
import type { WebhookConfig } from "./webhook-config.js";

/**
 * Webhook alerts: `queue()` runs inside the ingestion transaction (alerts are as durable as
 * the events), `delivered()` wakes the dispatcher after the commit. With no URLs nothing is
 * queued and no loop runs.
 */
export class Alerts {
  readonly queue: AlertQueue;
  private readonly dispatcher: WebhookDispatcher;

  constructor(
    db: SqliteDatabase | Queryable,
    webhooks: readonly (string | WebhookConfig)[],
    log: Logger,
    options: DispatcherOptions = DEFAULT_DISPATCHER_OPTIONS,
  ) {
    this.queue = new AlertQueue(db, webhooks);
    this.dispatcher = new WebhookDispatcher(this.queue, log, options);
  }

  get enabled(): boolean {
    return this.queue.webhooks.length > 0;
  }

  /** Starts the delivery loop (after abandoning deliveries to URLs no longer configured). */
  async start(): Promise<void> {
    if (this.enabled) await this.dispatcher.start();
  }

  stop(): void {
    this.dispatcher.stop();
  }

  /**
   * Another replica may have queued deliveries (its ingest committed): the running delivery
   * loop (the leader's) checks the queue now. Nothing when the loop is not running here.
   */
  wake(): void {
    if (this.enabled) this.dispatcher.kick();
  }

  /** Queues alerts for `changes` (in `on`: the ingestion transaction); resolves with how many deliveries were queued. */
  async queueFor(changes: StoredChanges, now: number, on?: Queryable): Promise<number> {
    if (!this.enabled) return 0;
    const n = await this.queue.enqueue(alertsFor(changes), now, on);
    if (n > 0) this.dispatcher.kick();
    return n;
  }

  /** Tells `listener` how each delivery attempt ended (delivered, failed and retried, abandoned). */
  onDelivery(listener: (outcome: DeliveryOutcome) => void): void {
    this.dispatcher.onOutcome(listener);
  }

  status(): Promise<AlertsStatus> {
    return this.queue.status();
  }
}
