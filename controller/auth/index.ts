export { type Role, type Caller, ROLES, actorOf, hasRole } from "./types.js";
