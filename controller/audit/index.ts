export { AuditLog, DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT, MAX_DETAIL_CHARS, VERIFY_CHUNK } from "./audit-log.js";
export { auditHash, GENESIS_HASH } from "./hash.js";
export { redactSecrets, isSecretKey, REDACTED } from "./redact.js";
export {
  controllerAuditEvents,
  auditPolicyChanges,
  enrolmentAuditEvents,
  CONTROLLER_ACTOR,
  type ControllerAuditEvents,
  type PolicyChangeSource,
  type EnrolmentEvent,
} from "./events.js";
export type { AuditEntry, AuditRecord, AuditQuery, AuditVerification, AuditSink } from "./types.js";
export { AUDIT_SCHEMA, AUDIT_SCHEMA_PG } from "./schema.js";
