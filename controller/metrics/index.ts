/**
 * Prometheus metrics of the controller (issue 24 item 5; docs/metrics.md), served by the web
 * listener at /metrics.
 *
 * - controller-metrics.ts  ControllerMetrics: its own registry, counters fed by hooks, gauges computed at scrape
 * - figures.ts             the gauges' figures from what the services hold (pure); compliance
 *                          counts come from controller/compliance's ComplianceTally
 * - store-size.ts          the store's size: SQLite's files, or a PostgreSQL database's pg_database_size
 * - wire.ts                builds the metrics over the controller's services and hooks the counters
 * - access.ts              who may read /metrics (loopback; bearer token; client certificate)
 * - handler.ts             the raw HTTP handler
 * - token-file.ts          --metrics-token-file
 */
export { ControllerMetrics, type MetricsOptions, type MetricsSources } from "./controller-metrics.js";
export { storeSizes, STORE_FILE_LABELS, type StoreLocation, type StoreFileLabel } from "./store-size.js";
export { wireControllerMetrics, countEnrolments, type MetricsWiring } from "./wire.js";
export {
  adminCertificates,
  decideAccess,
  isLoopbackPeer,
  type MetricsAccess,
  type AccessRequest,
  type AccessVerdict,
} from "./access.js";
export { metricsHandler, type MetricsRequestHandler, type MetricsSource } from "./handler.js";
export { readMetricsToken, MIN_METRICS_TOKEN_BYTES } from "./token-file.js";
