import { ROLES, type Caller, type Role } from "./types.js";

/** The part of a gRPC call (server call or interceptor) that carries the TLS peer. */
export interface PeerSource {
  getAuthContext(): { sslPeerCertificate?: { raw?: Uint8Array } } | null | undefined;
}

/** Checks a client certificate (DER): the controller's PKI (controller/pki ControllerPki.verifyPeer). */
export interface PeerAuthority {
  verifyPeer(
    der: Uint8Array,
  ):
    | { ok: true; identity: { kind: "agent"; host: string } | { kind: "admin"; name: string; role: string } }
    | { ok: false; reason: string };
}

/** Every caller of a controller started with --insecure (types.ts). */
export const INSECURE_CALLER: Caller = Object.freeze({ kind: "admin", name: "insecure", role: "admin" });

let authority: PeerAuthority | "insecure" | undefined;

/**
 * Sets how `callerOf` decides, for this process (one controller per process): the controller
 * calls it when it starts serving and calls the returned function when it stops. Until then
 * every caller is anonymous.
 */
export function installPeerAuthority(a: PeerAuthority | "insecure"): () => void {
  authority = a;
  return () => {
    if (authority === a) authority = undefined;
  };
}

/**
 * The DER of the client certificate of `call` when TLS verified it against the controller CA
 * (grpc-js reports none for a missing, expired or foreign certificate); undefined otherwise.
 */
export function peerCertificateOf(call: PeerSource): Uint8Array | undefined {
  try {
    const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
    return raw && raw.length > 0 ? raw : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Who made `call`, from the TLS peer certificate that grpc-js verified against the
 * controller CA, checked again by the PKI (signature, dates, revocation, kind); never from
 * message content. No certificate, or one that fails a check: `anonymous` with the reason.
 * An agent certificate gives `agent` (never admin), an admin certificate `admin` with the
 * role in its subject. With --insecure every caller is INSECURE_CALLER.
 */
export function callerOf(call: PeerSource): Caller {
  const a = authority;
  if (a === undefined) return { kind: "anonymous", reason: "the controller's transport security is not set up" };
  if (a === "insecure") return INSECURE_CALLER;
  const raw = peerCertificateOf(call);
  if (!raw || raw.length === 0)
    return {
      kind: "anonymous",
      reason: "no valid client certificate (none, expired, or not issued by this controller's CA)",
    };
  const verdict = a.verifyPeer(raw);
  if (!verdict.ok) return { kind: "anonymous", reason: verdict.reason };
  const id = verdict.identity;
  if (id.kind === "agent") return { kind: "agent", host: id.host };
  if (!ROLES.includes(id.role as Role))
    return { kind: "anonymous", reason: `admin certificate with unknown role "${id.role}"` };
  return { kind: "admin", name: id.name, role: id.role as Role };
}
