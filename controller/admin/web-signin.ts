import * as grpc from "@grpc/grpc-js";
import type { AdminServiceHandlers } from "../../generated/proto/fleet/v1/AdminService.js";
import { describeError, type Logger } from "../../common/index.js";
import { actorOf, hasRole, ROLES, type Caller, type Role } from "../auth/index.js";

/** The dashboard as this method needs it: where it is and how it makes a sign-in link. */
export interface WebSignInIssuer {
  /** The dashboard's base URL (https://HOST:PORT). */
  url: string;
  /** A one-time sign-in token for `user` with `role`. */
  createSignIn(user: string, role: Role): Promise<{ token: string; expiresAt: number }>;
}

export interface WebSignInDeps {
  /** The running dashboard; undefined when it is off (--no-web). */
  web: () => WebSignInIssuer | undefined;
  callerOf: (call: grpc.ServerUnaryCall<unknown, unknown>) => Caller;
  log: Logger;
}

/**
 * AdminService.CreateWebSignIn (`virtfleet web login`): a one-time dashboard sign-in URL for the
 * calling admin, with the role asked for ("" = its own), never above its own role
 * (PERMISSION_DENIED). The URL is in the answer only: it is not logged, and the audit record
 * (controller/auth MUTATING_ACTIONS) keeps the role and expiry, not the token.
 */
export function webSignInHandlers(deps: WebSignInDeps): Pick<AdminServiceHandlers, "CreateWebSignIn"> {
  return {
    CreateWebSignIn: async (call, callback) => {
      const caller = deps.callerOf(call);
      if (caller.kind !== "admin")
        return callback({ code: grpc.status.PERMISSION_DENIED, details: "needs an admin certificate" });
      const asked = call.request.role || caller.role;
      if (!ROLES.includes(asked as Role))
        return callback({
          code: grpc.status.INVALID_ARGUMENT,
          details: `"${asked.slice(0, 40)}" is not a role (${ROLES.join(", ")})`,
        });
      const role = asked as Role;
      if (!hasRole(caller.role, role))
        return callback({
          code: grpc.status.PERMISSION_DENIED,
          details: `a ${role} sign-in needs role ${role}; ${actorOf(caller)} has role ${caller.role}`,
        });
      const web = deps.web();
      if (!web)
        return callback({
          code: grpc.status.FAILED_PRECONDITION,
          details: "the controller runs without its dashboard (--no-web)",
        });
      try {
        const { token, expiresAt } = await web.createSignIn(caller.name, role);
        const at = new Date(expiresAt).toISOString();
        deps.log.info({ by: actorOf(caller), role, expiresAt: at }, "dashboard sign-in link created");
        callback(null, { url: `${web.url}/signin?token=${token}`, expiresAt: at, role });
      } catch (err) {
        deps.log.error({ err: describeError(err) }, "creating a dashboard sign-in link failed");
        callback({ code: grpc.status.INTERNAL, details: `creating the sign-in link failed: ${describeError(err)}` });
      }
    },
  };
}
