import { X509Certificate as NodeX509 } from "node:crypto";
import { fingerprintOf, identityOf, x509, type CertIdentity } from "../../common/pki/index.js";
import type { CertificateRegistry } from "./cert-registry.js";

/** A client certificate this controller accepts: ours, in date, not revoked, an agent's or an admin's. */
export type PeerIdentity = Extract<CertIdentity, { kind: "agent" } | { kind: "admin" }>;

export type PeerVerdict = { ok: true; identity: PeerIdentity; serial: string; notAfter: number; fingerprint: string } | { ok: false; reason: string };

interface Checked {
  identity: CertIdentity;
  signed: boolean;
  serial: string;
  notBefore: number;
  notAfter: number;
}

/** Distinct certificates remembered (signature and parse results; a fleet of 10,000 agents plus renewals fits); the cache is dropped when full. */
const MAX_CACHED = 50_000;

/**
 * Decides who a client certificate (DER) speaks for. Contract: accepted only when signed by
 * this CA's key (checked here, not only by TLS), within its dates at the moment of the call,
 * not revoked, and an agent or admin certificate by subject and EKU. Synchronous (callers
 * are gRPC handlers); the signature and parse result is cached by sha256 fingerprint, dates
 * and revocation are checked on every call.
 */
export class PeerVerifier {
  private readonly cache = new Map<string, Checked>();
  private readonly caKey;

  constructor(
    caCertPem: string,
    private readonly registry: Pick<CertificateRegistry, "isRevoked">,
    private readonly now: () => number = Date.now,
  ) {
    this.caKey = new NodeX509(caCertPem).publicKey;
  }

  verify(der: Uint8Array): PeerVerdict {
    const fingerprint = fingerprintOf(der);
    let c = this.cache.get(fingerprint);
    if (!c) {
      c = this.check(der);
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(fingerprint, c);
    }
    if (!c.signed) return { ok: false, reason: "the client certificate was not issued by this controller's CA" };
    const now = this.now();
    if (now > c.notAfter) return { ok: false, reason: `the client certificate expired at ${new Date(c.notAfter).toISOString()}` };
    if (now < c.notBefore) return { ok: false, reason: `the client certificate is not valid before ${new Date(c.notBefore).toISOString()}` };
    if (c.identity.kind !== "agent" && c.identity.kind !== "admin") {
      return { ok: false, reason: c.identity.kind === "server" ? "a server certificate cannot be used as a client certificate" : c.identity.reason };
    }
    if (this.registry.isRevoked(c.serial)) return { ok: false, reason: `the client certificate (serial ${c.serial}) was revoked` };
    return { ok: true, identity: c.identity, serial: c.serial, notAfter: c.notAfter, fingerprint };
  }

  private check(der: Uint8Array): Checked {
    try {
      const node = new NodeX509(Buffer.from(der));
      const signed = node.verify(this.caKey);
      const cert = new x509.X509Certificate(der);
      return { identity: identityOf(cert), signed, serial: cert.serialNumber.toLowerCase(), notBefore: cert.notBefore.getTime(), notAfter: cert.notAfter.getTime() };
    } catch {
      return { identity: { kind: "unknown", reason: "unreadable certificate" }, signed: false, serial: "", notBefore: 0, notAfter: 0 };
    }
  }
}
