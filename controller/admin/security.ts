import * as grpc from "@grpc/grpc-js";
import type { AdminServiceHandlers } from "../../generated/proto/fleet/v1/AdminService.js";
import { describeError, HostPattern, ValidationError, type Logger } from "../../common/index.js";
import { ADMIN_NAME_PATTERN, formatEnrolToken, HOST_NAME_PATTERN } from "../../common/pki/index.js";
import { actorOf, hasRole, type Caller } from "../auth/index.js";
import type { ControllerPki } from "../pki/index.js";
import type { TokenStore } from "../enroll/index.js";

/** Token lifetime when CreateToken asks for 0, and the longest one allowed. */
export const DEFAULT_TOKEN_TTL_MS = 3_600_000;
export const MAX_TOKEN_TTL_MS = 30 * 86_400_000;
export const MAX_TOKEN_USES = 10_000;
const MAX_REASON_CHARS = 500;

export interface SecurityAdminDeps {
  /** Absent when the controller runs --insecure (no CA: these methods answer FAILED_PRECONDITION). */
  pki?: ControllerPki;
  tokens?: TokenStore;
  callerOf: (call: grpc.ServerUnaryCall<unknown, unknown>) => Caller;
  /**
   * Ends a host's stream at once; true when one was connected here (AgentService.disconnect;
   * with replicas StreamRelay.revoked, which also ends it on the replica holding it).
   */
  disconnect: (host: string, reason: string) => boolean | Promise<boolean>;
  /** Ends what else an admin holds once its certificates are revoked (its dashboard sessions); returns how many. */
  adminRevoked?: (name: string) => Promise<number>;
  log: Logger;
}

type Handlers = Pick<AdminServiceHandlers, "CreateToken" | "RevokeCertificate">;

/**
 * AdminService.CreateToken and RevokeCertificate (role admin; checked here too, besides the
 * admin handlers' role wrapper). CreateToken answers the token once: `vf1.<CA fp>.<secret>`;
 * only the secret's hash is kept. RevokeCertificate revokes every certificate of the host
 * (persisted), closes its stream at once, and NOT_FOUND when no certificate was ever issued to it;
 * with `admin` set, every certificate of that admin instead (its next call is refused).
 */
export function securityAdminHandlers(deps: SecurityAdminDeps): Handlers {
  const { log } = deps;
  const guard = (
    call: grpc.ServerUnaryCall<unknown, unknown>,
  ): { caller: Caller; refusal?: Partial<grpc.StatusObject> } => {
    const caller = deps.callerOf(call);
    if (caller.kind !== "admin" || !hasRole(caller.role, "admin"))
      return {
        caller,
        refusal: {
          code: grpc.status.PERMISSION_DENIED,
          details: `needs an admin certificate with role admin (caller: ${actorOf(caller)})`,
        },
      };
    if (!deps.pki || !deps.tokens)
      return {
        caller,
        refusal: {
          code: grpc.status.FAILED_PRECONDITION,
          details: "the controller runs --insecure: it has no CA, so there is nothing to enrol with or revoke",
        },
      };
    return { caller };
  };
  /** `cert revoke --admin NAME`: every certificate of that admin; its next call is refused. Throws a status. */
  const revokeAdmin = async (name: string, host: string, reason: string, caller: Caller) => {
    if (host) throw status(grpc.status.INVALID_ARGUMENT, "name a host or an admin, not both");
    if (!ADMIN_NAME_PATTERN.test(name))
      throw status(grpc.status.INVALID_ARGUMENT, `"${name.slice(0, 80)}" is not a valid admin name`);
    if ((await deps.pki!.registry.issuedTo("admin", name)).length === 0)
      throw status(grpc.status.NOT_FOUND, `no certificate was ever issued to admin "${name}"`);
    const revoked = await deps.pki!.revokeAdmin(name, reason);
    const sessions = (await deps.adminRevoked?.(name)) ?? 0;
    log.warn({ by: actorOf(caller), admin: name, revoked, sessions, reason }, "admin certificates revoked");
    return { revoked, disconnected: false };
  };
  return {
    CreateToken: async (call, callback) => {
      const { caller, refusal } = guard(call);
      if (refusal) return callback(refusal);
      try {
        const r = call.request;
        const ttlMs = r.ttlMs === 0 ? DEFAULT_TOKEN_TTL_MS : r.ttlMs;
        if (ttlMs > MAX_TOKEN_TTL_MS)
          throw new ValidationError(`a token lives at most ${MAX_TOKEN_TTL_MS / 86_400_000} days`);
        if (r.host && r.pattern) throw new ValidationError("a token is bound to a host or to a pattern, not both");
        if (r.host && !HOST_NAME_PATTERN.test(r.host))
          throw new ValidationError(`"${r.host.slice(0, 80)}" is not a valid host name`);
        if (r.pattern) HostPattern.parse(r.pattern);
        const uses = r.uses === 0 ? 1 : r.uses;
        if (uses > MAX_TOKEN_USES) throw new ValidationError(`a token allows at most ${MAX_TOKEN_USES} enrolments`);
        const { secret, expiresAt } = await deps.tokens!.create({
          ttlMs,
          host: r.host,
          pattern: r.pattern,
          uses,
          createdBy: actorOf(caller),
        });
        const token = formatEnrolToken({ caFingerprint: deps.pki!.caFingerprint, secret });
        log.info(
          {
            by: actorOf(caller),
            host: r.host || undefined,
            pattern: r.pattern || undefined,
            uses,
            expiresAt: new Date(expiresAt).toISOString(),
          },
          "enrolment token created",
        );
        callback(null, { token, expiresAt: new Date(expiresAt).toISOString() });
      } catch (err) {
        if (err instanceof ValidationError)
          return callback({ code: grpc.status.INVALID_ARGUMENT, details: err.message });
        log.error({ err: describeError(err) }, "creating an enrolment token failed");
        callback({ code: grpc.status.INTERNAL, details: `creating the token failed: ${describeError(err)}` });
      }
    },
    RevokeCertificate: async (call, callback) => {
      const { caller, refusal } = guard(call);
      if (refusal) return callback(refusal);
      try {
        const host = call.request.host;
        const reason = (call.request.reason || "revoked by an admin").slice(0, MAX_REASON_CHARS);
        if (call.request.admin) return callback(null, await revokeAdmin(call.request.admin, host, reason, caller));
        if (!HOST_NAME_PATTERN.test(host))
          return callback({
            code: grpc.status.INVALID_ARGUMENT,
            details: `"${host.slice(0, 80)}" is not a valid host name`,
          });
        if ((await deps.pki!.registry.issuedTo("agent", host)).length === 0)
          return callback({ code: grpc.status.NOT_FOUND, details: `no certificate was ever issued to host "${host}"` });
        const revoked = await deps.pki!.revokeHost(host, reason);
        const disconnected = await deps.disconnect(host, `certificate revoked: ${reason}`);
        log.warn({ by: actorOf(caller), host, revoked, disconnected, reason }, "host certificates revoked");
        callback(null, { revoked, disconnected });
      } catch (err) {
        if (isStatus(err)) return callback(err);
        log.error({ err: describeError(err) }, "revoking failed");
        callback({ code: grpc.status.INTERNAL, details: `revoking failed: ${describeError(err)}` });
      }
    },
  };
}

type Status = { code: grpc.status; details: string; [STATUS]: true };
const STATUS = Symbol("status");
const status = (code: grpc.status, details: string): Status => ({ code, details, [STATUS]: true });
const isStatus = (e: unknown): e is Status => typeof e === "object" && e !== null && STATUS in e;
