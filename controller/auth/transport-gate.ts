import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../../common/index.js";
import type { PeerSource } from "./caller.js";
import type { Caller } from "./types.js";

/** Which kind of caller each service admits; methods not listed need an admin. */
const OPEN_METHODS = new Set(["/fleet.v1.EnrollService/Enroll"]);
const AGENT_PREFIXES = ["/fleet.v1.AgentService/", "/fleet.v1.EnrollService/Renew"];

/**
 * A server interceptor that turns callers away before any handler runs (secure mode only):
 * EnrollService.Enroll is open (its token authorizes); AgentService and EnrollService.Renew
 * need an agent certificate; everything else (AdminService) an admin certificate of any role
 * (per-method roles are checked by the admin handlers' wrapper). No or an invalid certificate:
 * UNAUTHENTICATED; a valid certificate of the wrong kind: PERMISSION_DENIED. Refusals are logged.
 * `onAuthenticated` is told of each call whose caller holds a valid certificate (of any kind),
 * before it is admitted or refused: the listener stops counting that connection as
 * unauthenticated (common/grpc/connection-guard.ts).
 */
export function transportGate(
  callerOf: (call: PeerSource) => Caller,
  log: Logger,
  onAuthenticated?: (call: grpc.ServerInterceptingCallInterface) => void,
): grpc.ServerInterceptor {
  return (method, call) => {
    const gated: OnePeerLookup = new OnePeerLookup(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, pass) => {
            const caller = callerOf(gated);
            if (caller.kind !== "anonymous") onAuthenticated?.(call);
            const refusal = refuse(method.path, caller);
            if (!refusal) return pass(metadata);
            log.warn(
              { method: method.path, peer: call.getPeer(), code: grpc.status[refusal.code] },
              `call refused: ${refusal.details}`,
            );
            call.sendStatus({ ...refusal, metadata: new grpc.Metadata() });
          },
        });
      },
    });
    return gated;
  };
}

type AuthContext = ReturnType<grpc.ServerInterceptingCall["getAuthContext"]>;

/**
 * An intercepting call that lets this gate and the handler behind it (e.g. the agent stream's
 * authentication), which read the TLS peer moments apart, share one lookup: grpc-js builds Node's
 * whole peer-certificate object (~0.2 ms, ~2 KB) on each getAuthContext(). The peer of a call
 * never changes. Held weakly: an agent's stream lives as long as its connection, and keeping
 * the object for that long costs the controller ~2 KB per agent; once collected, the next
 * lookup builds it again.
 */
class OnePeerLookup extends grpc.ServerInterceptingCall {
  private auth: WeakRef<AuthContext> | undefined;

  override getAuthContext(): AuthContext {
    const held = this.auth?.deref();
    if (held) return held;
    const fresh = super.getAuthContext();
    this.auth = new WeakRef(fresh);
    return fresh;
  }
}

function refuse(path: string, caller: Caller): { code: grpc.status; details: string } | null {
  if (OPEN_METHODS.has(path)) return null;
  const needs = AGENT_PREFIXES.some((p) => path.startsWith(p)) ? "agent" : "admin";
  if (caller.kind === needs) return null;
  if (caller.kind === "anonymous") {
    const what =
      needs === "agent"
        ? "an agent certificate (enrol with a token: virtfleet agent --token …)"
        : "an admin certificate (the CLI reads it from --data DIR or VIRTFLEET_DATA)";
    return { code: grpc.status.UNAUTHENTICATED, details: `${path} needs ${what}; ${caller.reason}` };
  }
  const held =
    caller.kind === "agent" ? `the agent certificate of ${caller.host}` : `the admin certificate of ${caller.name}`;
  return {
    code: grpc.status.PERMISSION_DENIED,
    details: `${path} needs an ${needs} certificate; ${held} cannot be used for it`,
  };
}
