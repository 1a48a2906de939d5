export { type Role, type Caller, ROLES, ADMIN_NAME, RESERVED_ADMIN_NAMES, actorOf, hasRole } from "./types.js";
export {
  ADMIN_METHOD_ROLES,
  MUTATING_ACTIONS,
  roleFor,
  isMutating,
  type AdminMethod,
  type AuditedAction,
} from "./roles.js";
export { authorizeAdmin, denial, type CallerOf, type AdminCall } from "./authorize.js";
export {
  callerOf,
  peerCertificateOf,
  installPeerAuthority,
  INSECURE_CALLER,
  type PeerSource,
  type PeerAuthority,
} from "./caller.js";
export { transportGate } from "./transport-gate.js";
