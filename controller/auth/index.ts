export { type Role, type Caller, ROLES, actorOf, hasRole } from "./types.js";
export { callerOf, installPeerAuthority, INSECURE_CALLER, type PeerSource, type PeerAuthority } from "./caller.js";
export { transportGate } from "./transport-gate.js";
