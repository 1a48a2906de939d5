export {
  Controller,
  ControllerStartError,
  DEFAULT_ROLLOUT_PLAN_TIMEOUT_MS,
  type ControllerOptions,
} from "./controller.js";
export {
  DEFAULT_LISTEN,
  DEFAULT_CONTROLLER_DATA_DIR,
  ADMIN_DIR,
  ADMIN_FILES,
  MAX_PLAN_TIMEOUT_MS,
} from "./defaults.js";
export { DEFAULT_AGENT_SERVICE_OPTIONS, type AgentServiceOptions } from "./agents/index.js";
export { DEFAULT_POLICIES_DIR, PoliciesDirError } from "./policies/index.js";
export {
  DEFAULT_SNAPSHOT_CRON,
  parseSnapshotCron,
  type ComplianceReport,
  type AlertsStatus,
  type PolicyStatus,
} from "./compliance/index.js";
export {
  ALERT_TYPES,
  parseWebhookSpec,
  parseWebhookUrl,
  redactUrl,
  resolveWebhooks,
  type WebhookConfig,
  type WebhookSpec,
} from "./alerts/index.js";
export { driftToJson, type DriftJson } from "./ingest/index.js";
export type { MetricsRequestHandler } from "./metrics/index.js";
export type { DriftView } from "./agent-messages/index.js";
export {
  DEFAULT_AGENT_CERT_TTL_MS,
  MIN_AGENT_CERT_TTL_MS,
  issueAdminCertificate,
  type AdminCredential,
  type AdminCredentialRequest,
} from "./pki/index.js";
export { DEFAULT_WEB_LISTEN } from "./web/defaults.js";
