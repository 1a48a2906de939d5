import * as grpc from "@grpc/grpc-js";
import { describeError, fleetProto, type Logger } from "../../common/index.js";
import type { AdminServiceHandlers } from "../../generated/proto/fleet/v1/AdminService.js";
import type { AuditEntry, AuditSink } from "../audit/index.js";
import { isMutating, MUTATING_ACTIONS, roleFor, type AuditedAction } from "./roles.js";
import { actorOf, hasRole, type Caller, type Role } from "./types.js";

/** An admin call as a handler sees it (unary or server-streaming). */
export type AdminCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/** Identifies the caller of an admin call from its verified client certificate (controller/auth callerOf). */
export type CallerOf = (call: AdminCall) => Caller;

/** Longest error text an audit record keeps. */
const MAX_ERROR_CHARS = 500;

/** Why `caller` may not call `method` (which needs `needed`), or null when it may. */
export function denial(method: string, needed: Role, caller: Caller): string | null {
  switch (caller.kind) {
    case "admin":
      return hasRole(caller.role, needed)
        ? null
        : `${method} needs role ${needed}; ${actorOf(caller)} has role ${caller.role}`;
    case "agent":
      return `${method} needs an admin certificate with role ${needed}; the certificate of agent ${caller.host} cannot use the admin API`;
    case "anonymous":
      return `${method} needs an admin certificate with role ${needed} (${caller.reason}); see \`virtfleet admin create\``;
  }
}

type Wrapped = Partial<AdminServiceHandlers>;
type UnaryHandler = grpc.handleUnaryCall<unknown, unknown>;
type StreamHandler = grpc.handleServerStreamingCall<unknown, unknown>;

/**
 * Puts every handler behind the role table (ADMIN_METHOD_ROLES) and the audit log.
 *
 * For each call: the caller is identified (`callerOf`; if it throws, the caller is
 * anonymous); a caller that is not an admin, or whose role does not include the method's,
 * gets PERMISSION_DENIED naming the role needed, and the refusal is logged (warn).
 * Mutating methods (MUTATING_ACTIONS: operator and admin methods) are recorded in `audit`
 * with the caller's actor, after the handler answered: success with what it produced,
 * failure with `{error, code}`, a refusal with `{denied}`. Refusals of anonymous callers are
 * logged only — an unauthenticated peer must not be able to grow the audit log.
 * A handler that throws synchronously answers INTERNAL (and is audited as an error).
 *
 * Fails at wiring time (throws) for a handler whose method is not in the role table, or a
 * mutating method that is not unary (nothing to audit it by). Methods without a handler
 * are left out, so grpc-js answers them UNIMPLEMENTED.
 */
export function authorizeAdmin<H extends Wrapped>(handlers: H, callerOf: CallerOf, audit: AuditSink, log: Logger): H {
  const definition = fleetProto().AdminService.service as grpc.ServiceDefinition;
  const out: Record<string, unknown> = {};
  for (const [method, handler] of Object.entries(handlers)) {
    if (handler === undefined) continue;
    const needed = roleFor(method);
    const def = definition[method];
    if (!needed || !def)
      throw new Error(
        `authorizeAdmin: ${method} is not an AdminService method in the role table (controller/auth/roles.ts)`,
      );
    if (def.requestStream) throw new Error(`authorizeAdmin: ${method} streams requests, which is not supported`);
    if (def.responseStream && isMutating(method))
      throw new Error(`authorizeAdmin: ${method} is mutating but streams its answer; it cannot be audited`);
    const gate = new Gate(method, needed, callerOf, audit, log);
    out[method] = def.responseStream ? gate.stream(handler as StreamHandler) : gate.unary(handler as UnaryHandler);
  }
  return out as H;
}

/** One method's check, answer and audit. */
class Gate {
  constructor(
    private readonly method: string,
    private readonly needed: Role,
    private readonly callerOf: CallerOf,
    private readonly audit: AuditSink,
    private readonly log: Logger,
  ) {}

  unary(handler: UnaryHandler): UnaryHandler {
    return (call, callback) => {
      const caller = this.identify(call);
      const refused = this.check(call, caller);
      if (refused) return callback(refused);
      if (!isMutating(this.method)) return handler(call, callback);
      let answered = false;
      const reply: grpc.sendUnaryData<unknown> = (err, value, trailer, flags) => {
        if (answered) return;
        answered = true;
        this.record(caller, call.request, err ? { error: err } : { value });
        callback(err, value, trailer, flags);
      };
      try {
        handler(call, reply);
      } catch (err) {
        this.log.error({ method: this.method, err: describeError(err) }, "admin handler threw");
        reply({ code: grpc.status.INTERNAL, details: `${this.method} failed: ${describeError(err)}` });
      }
    };
  }

  stream(handler: StreamHandler): StreamHandler {
    return (call) => {
      const refused = this.check(call, this.identify(call));
      if (refused) {
        call.emit("error", { ...refused, metadata: new grpc.Metadata() });
        return;
      }
      handler(call);
    };
  }

  private identify(call: AdminCall): Caller {
    try {
      return this.callerOf(call);
    } catch (err) {
      this.log.warn(
        { method: this.method, peer: peerOf(call), err: describeError(err) },
        "cannot identify an admin caller; treating it as anonymous",
      );
      return { kind: "anonymous", reason: `the caller could not be identified: ${describeError(err)}` };
    }
  }

  /** Null when the caller may go on; else the PERMISSION_DENIED answer (logged, and audited when mutating and authenticated). */
  private check(call: AdminCall, caller: Caller): Partial<grpc.StatusObject> | null {
    const why = denial(this.method, this.needed, caller);
    if (why === null) return null;
    this.log.warn(
      { method: this.method, actor: actorOf(caller), needed: this.needed, peer: peerOf(call) },
      `admin call denied: ${why}`,
    );
    if (isMutating(this.method) && caller.kind !== "anonymous") this.record(caller, call.request, { denied: why });
    return { code: grpc.status.PERMISSION_DENIED, details: why };
  }

  private record(
    caller: Caller,
    request: unknown,
    outcome: { value?: unknown } | { error: Partial<grpc.StatusObject> } | { denied: string },
  ): void {
    let entry: AuditEntry | undefined;
    try {
      const describe = MUTATING_ACTIONS[this.method as keyof typeof MUTATING_ACTIONS] as (
        req: unknown,
        res?: unknown,
      ) => AuditedAction;
      const done = "value" in outcome;
      const a = describe(request ?? {}, done ? (outcome.value ?? undefined) : undefined);
      const detail = { ...a.detail };
      if ("denied" in outcome) detail.denied = outcome.denied;
      if ("error" in outcome) {
        detail.error = clipText(describeError(outcome.error) || "failed", MAX_ERROR_CHARS);
        detail.code = grpc.status[outcome.error.code ?? grpc.status.UNKNOWN] ?? String(outcome.error.code);
      }
      entry = { actor: actorOf(caller), action: a.action, target: a.target, detail };
      const written = entry;
      this.audit.append(entry).catch((err: unknown) => this.lost(written, err));
    } catch (err) {
      this.lost(entry, err);
    }
  }

  /** The call's outcome stands; losing its record is an operational error to alert on. */
  private lost(entry: AuditEntry | undefined, err: unknown): void {
    this.log.error(
      { method: this.method, action: entry?.action, target: entry?.target, err: describeError(err) },
      "writing the audit record of an admin call failed",
    );
  }
}

function peerOf(call: AdminCall): string {
  try {
    return call.getPeer();
  } catch {
    return "unknown";
  }
}

const clipText = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
