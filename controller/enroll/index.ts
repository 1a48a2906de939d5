export { EnrollService, type EnrollServiceDeps, type EnrollEvents } from "./enroll-service.js";
export { TokenStore, type TokenGrant, type TokenUse } from "./token-store.js";
export { AttemptLimiter, peerAddress } from "./attempt-limiter.js";
export { securityAdminHandlers, DEFAULT_TOKEN_TTL_MS, MAX_TOKEN_TTL_MS, MAX_TOKEN_USES, type SecurityAdminDeps } from "./security-admin.js";
