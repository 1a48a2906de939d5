export { EnrollService, type EnrollServiceDeps, type EnrollEvents } from "./enroll-service.js";
export { TokenStore, type TokenGrant, type TokenUse } from "./token-store.js";
export { AttemptLimiter, peerAddress } from "./attempt-limiter.js";
export { ENROLL_SCHEMA, ENROLL_SCHEMA_PG } from "./schema.js";
