/** Admin roles, each including the ones before it: viewer (read), operator (rollout control, acknowledgements), admin (tokens, revocation, admin users). */
export type Role = "viewer" | "operator" | "admin";

export const ROLES: readonly Role[] = ["viewer", "operator", "admin"];

/**
 * Who made a call, from the verified client certificate (never from message content):
 * an admin with a role, an agent speaking for one host, or nobody (no or an invalid
 * certificate: only Enroll is open to it). With --insecure every admin call is
 * `{ kind: "admin", name: "insecure", role: "admin" }`.
 */
export type Caller =
  | { kind: "admin"; name: string; role: Role }
  | { kind: "agent"; host: string }
  | { kind: "anonymous"; reason: string };

/** Admin names: lower-case letter first, then letters, digits, '-'; at most 63 characters. */
export const ADMIN_NAME = /^[a-z][a-z0-9-]{0,62}$/;
/** Names that would read as something else in the audit log (actorOf). */
export const RESERVED_ADMIN_NAMES: readonly string[] = ["insecure", "controller", "anonymous"];

/** The actor string the audit log records for `caller`. */
export function actorOf(caller: Caller): string {
  return caller.kind === "admin"
    ? caller.name === "insecure"
      ? "insecure"
      : `admin:${caller.name}`
    : caller.kind === "agent"
      ? `agent:${caller.host}`
      : "anonymous";
}

/** Whether `role` includes `needed`. */
export function hasRole(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}
