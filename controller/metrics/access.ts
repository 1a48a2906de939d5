import { createHash, timingSafeEqual } from "node:crypto";
import { isLoopback } from "../../common/index.js";

/**
 * Who may read /metrics (docs/metrics.md "Access"):
 * - a client certificate that `clientCertificate` accepts (one this controller's CA issued to
 *   an admin, in date, not revoked), from any address;
 * - with `token` (--metrics-token-file): `Authorization: Bearer <token>`, from any address; every
 *   other request is refused with 401, loopback ones too (the endpoint is exposed: it is
 *   authenticated);
 * - without `token`: loopback peers (127.0.0.0/8, ::1) only; others are refused with 403.
 */
export interface MetricsAccess {
  token?: string;
  /** Absent (--insecure: no CA): certificates are not considered. */
  clientCertificate?: (der: Uint8Array) => boolean;
}

/** What the decision reads of a request. */
export interface AccessRequest {
  remoteAddress: string | undefined;
  /** The Authorization header, if any. */
  authorization: string | undefined;
  /** The TLS peer's certificate (DER), if it presented one. */
  peerCertificate: Uint8Array | undefined;
}

export type AccessVerdict =
  | { ok: true; via: "certificate" | "token" | "loopback" }
  /** `reason` is safe to send: it never repeats what the client sent. */
  | { ok: false; status: 401 | 403; reason: string };

export function decideAccess(access: MetricsAccess, req: AccessRequest): AccessVerdict {
  if (req.peerCertificate && req.peerCertificate.length > 0 && access.clientCertificate?.(req.peerCertificate))
    return { ok: true, via: "certificate" };
  if (access.token !== undefined) {
    const presented = bearerOf(req.authorization);
    if (presented === undefined)
      return {
        ok: false,
        status: 401,
        reason: "metrics need a bearer token (Authorization: Bearer …) or a client certificate of this controller",
      };
    if (!sameSecret(presented, access.token))
      return { ok: false, status: 401, reason: "the bearer token is not valid" };
    return { ok: true, via: "token" };
  }
  if (isLoopbackPeer(req.remoteAddress)) return { ok: true, via: "loopback" };
  return {
    ok: false,
    status: 403,
    reason:
      "metrics are served to loopback peers only; the controller can require a bearer token instead (--metrics-token-file) or accept a client certificate of its CA",
  };
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), else undefined. */
function bearerOf(header: string | undefined): string | undefined {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1];
}

/** Equal, in time independent of where they differ and of their lengths (both are hashed first). */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** A socket's remote address on loopback (IPv4-mapped IPv6 addresses included). */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1];
  const host = v4 ?? address;
  return host !== "localhost" && isLoopback(host);
}

/** The certificate rule of a secure controller: admin certificates (any role) its CA issued, in date, not revoked. */
export function adminCertificates(pki: {
  verifyPeer(der: Uint8Array): { ok: true; identity: { kind: string } } | { ok: false };
}): (der: Uint8Array) => boolean {
  return (der) => {
    const v = pki.verifyPeer(der);
    return v.ok && v.identity.kind === "admin";
  };
}
