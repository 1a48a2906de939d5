/**
 * The AdminService handlers, all of them, one file per area:
 *
 * - hosts.ts      ListHosts, GetHost (with host-record.ts, host-detail.ts)
 * - drift.ts      ListDrift, WatchDrift, Compliance, AcknowledgeFlap
 * - resync.ts     Resync
 * - policies.ts   ListPolicies
 * - rollouts.ts   RolloutStatus, ControlRollout, Plan
 * - security.ts   CreateToken, RevokeCertificate
 * - audit.ts      ListAudit, VerifyAudit, CreateAdmin
 * - web-signin.ts CreateWebSignIn (the dashboard's sign-in links)
 *
 * The rule: a gRPC AdminService handler lives here and nowhere else. Feature folders
 * (controller/hosts, policies, rollout-runner, enroll, audit, …) offer the domain operations
 * and queries; the handlers here turn requests into those calls and answers into the wire
 * types, and map errors to gRPC status codes. Nothing in a feature folder imports this one:
 * only the composition root (controller/controller.ts) does, which also puts every handler
 * behind controller/auth authorizeAdmin.
 */
export { adminHandlers, DEFAULT_HISTORY_LIMIT, DEFAULT_HOSTS_PAGE, MAX_HISTORY_LIMIT } from "./hosts.js";
export { toHostRecord, NO_POLICIES, type HostResolution } from "./host-record.js";
export { toHostDetail } from "./host-detail.js";
export {
  DriftAdmin,
  toDriftRecord,
  DEFAULT_DRIFT_LIMIT,
  MAX_DRIFT_LIMIT,
  WATCH_MAX_BUFFERED,
  type DriftAdminDeps,
} from "./drift.js";
export { resyncAdminHandlers, resyncHost, MAX_RESYNC_HOSTS, type ResyncAdminDeps } from "./resync.js";
export { listPolicies, policyAdminHandlers, MAX_POLICY_HISTORY } from "./policies.js";
export { policyPushHandlers, type PolicyPushDeps } from "./policy-push.js";
export { rolloutAdminHandlers, type RolloutAdminDeps } from "./rollouts.js";
export { hostRemoveHandlers, type HostRemoveDeps } from "./host-remove.js";
export {
  securityAdminHandlers,
  DEFAULT_TOKEN_TTL_MS,
  MAX_TOKEN_TTL_MS,
  MAX_TOKEN_USES,
  type SecurityAdminDeps,
} from "./security.js";
export {
  auditAdminHandlers,
  issueAdminWithoutCa,
  NoCertificateAuthorityError,
  validateCreateAdmin,
  toAuditRecordProto,
  MAX_CSR_CHARS,
  type AuditAdminDeps,
  type IssueAdmin,
  type IssuedAdmin,
} from "./audit.js";
export { webSignInHandlers, type WebSignInDeps, type WebSignInIssuer } from "./web-signin.js";
