export { Alerts } from "./alerts.js";
export { AlertQueue, DELIVERED_RETENTION_MS, type Delivery } from "./alert-queue.js";
export {
  WebhookDispatcher,
  DEFAULT_DISPATCHER_OPTIONS,
  fetchPoster,
  retryDelay,
  type DispatcherOptions,
  type DispatcherDeps,
  type Poster,
  type PostResult,
} from "./dispatcher.js";
export { alertsFor, type AlertPayload } from "./payloads.js";
export { parseWebhookUrl, redactUrl } from "./webhook-url.js";
export { ALERTS_SCHEMA } from "./schema.js";
