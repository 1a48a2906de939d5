export { Alerts } from "./alerts.js";
export { AlertQueue, DELIVERED_RETENTION_MS, type Delivery } from "./alert-queue.js";
export {
  WebhookDispatcher,
  DEFAULT_DISPATCHER_OPTIONS,
  fetchPoster,
  retryDelay,
  type DeliveryOutcome,
  type DispatcherOptions,
  type DispatcherDeps,
  type Poster,
  type PostResult,
} from "./dispatcher.js";
export { alertsFor, type AlertPayload } from "./payloads.js";
export { parseWebhookUrl, redactUrl } from "./webhook-url.js";
export { ALERTS_SCHEMA, ALERTS_SCHEMA_PG } from "./schema.js";
export {
  ALERT_TYPES,
  DEFAULT_ALERT_TYPES,
  MIN_SECRET_BYTES,
  parseWebhookSpec,
  readWebhookSecret,
  resolveWebhooks,
  type AlertType,
  type WebhookConfig,
  type WebhookSpec,
} from "./webhook-config.js";
export {
  DEFAULT_REPLAY_WINDOW_MS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signWebhook,
  webhookRejection,
} from "./signature.js";
