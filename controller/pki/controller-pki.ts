import { hostname } from "node:os";
import { OptionError, queryableOf, type Queryable, type SqliteDatabase } from "../../common/index.js";
import {
  agentSubject,
  adminSubject,
  fingerprintOf,
  HOST_NAME_PATTERN,
  ADMIN_NAME_PATTERN,
  verifyCsr,
  type x509,
  type TlsMaterial,
  type VerifiedCsr,
} from "../../common/pki/index.js";
import { ROLES, type Role } from "../auth/index.js";
import { CertificateAuthority, type CaSource } from "./ca.js";
import { openSharedCa } from "./ca-store.js";
import { SealingKey, STORE_KEY_OPTION } from "./sealing.js";
import { CertificateRegistry, type IssuedKind } from "./cert-registry.js";
import { IssueRequestError } from "./errors.js";
import { ADMIN_CERT_LIFETIME_MS, DEFAULT_AGENT_CERT_TTL_MS } from "./lifetimes.js";
import { PeerVerifier, type PeerVerdict } from "./peer-verifier.js";
import { ensureServerCertificate } from "./server-cert.js";
import { serverNames } from "./server-names.js";

export interface PkiOptions {
  dataDir: string;
  db: SqliteDatabase | Queryable;
  /** The listen host (its names go into the server certificate). */
  listenHost: string;
  /** More names/addresses for the server certificate (--san). */
  extraNames?: string[];
  /**
   * The CA: on SQLite `<data>/pki/` or the operator's files (`certFile`/`keyFile`); on
   * PostgreSQL the one the replicas share in the store, sealed with `storeKeyFile` (required).
   */
  ca?: CaSource;
  /** Who stores the shared CA when this replica creates it (pki_ca.created_by); default the host name. */
  replica?: string;
  /** Lifetime of agent certificates (default 30 days). */
  agentCertTtlMs?: number;
  now?: () => number;
}

export interface Issued {
  cert: x509.X509Certificate;
  certificatePem: string;
  caPem: string;
  notAfter: string;
}

/**
 * The controller's PKI: its CA, its server identity, what it issued and revoked, and the
 * check of client certificates. One per controller; `open` creates what is missing.
 */
export class ControllerPki {
  readonly verifier: PeerVerifier;
  readonly agentCertTtlMs: number;
  private readonly now: () => number;
  private readonly revokedListeners: ((kind: "agent" | "admin", certificates: number) => void)[] = [];

  private constructor(
    readonly ca: CertificateAuthority,
    readonly registry: CertificateRegistry,
    readonly serverTls: TlsMaterial,
    opts: PkiOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.agentCertTtlMs = opts.agentCertTtlMs ?? DEFAULT_AGENT_CERT_TTL_MS;
    this.verifier = new PeerVerifier(ca.certPem, registry, this.now);
  }

  static async open(opts: PkiOptions): Promise<ControllerPki> {
    const now = (opts.now ?? Date.now)();
    const ca = await openCa(opts, now);
    const registry = await CertificateRegistry.open(opts.db, opts.now);
    const server = await ensureServerCertificate(ca, opts.dataDir, serverNames(opts.listenHost, opts.extraNames), now);
    if (server.issued) await registry.record(recordOf(server.issued, "server", "controller", "", now));
    return new ControllerPki(ca, registry, server.tls, opts);
  }

  /** sha256 of the CA certificate's DER: what enrolment tokens carry. */
  get caFingerprint(): string {
    return this.ca.fingerprint;
  }

  get caPem(): string {
    return this.ca.certPem;
  }

  /** Who a client certificate (DER) speaks for, or why it is refused. */
  verifyPeer(der: Uint8Array): PeerVerdict {
    return this.verifier.verify(der);
  }

  /** The host an agent stream's client certificate (DER, or none) speaks for, and until when. */
  agentOf(der: Uint8Array | undefined): { ok: true; host: string; notAfter: number } | { ok: false; reason: string } {
    if (!der || der.length === 0)
      return {
        ok: false,
        reason: "no valid client certificate (none, expired, or not issued by this controller's CA)",
      };
    const v = this.verifier.verify(der);
    if (!v.ok) return v;
    if (v.identity.kind !== "agent")
      return { ok: false, reason: `an ${v.identity.kind} certificate is not an agent certificate` };
    return { ok: true, host: v.identity.host, notAfter: v.notAfter };
  }

  /**
   * An agent certificate for `host` from its CSR (whose CN must be `host`); the key never
   * leaves the agent. Recorded for revocation.
   */
  async issueAgent(host: string, csrPem: string, ttlMs = this.agentCertTtlMs): Promise<Issued> {
    if (!HOST_NAME_PATTERN.test(host)) throw new IssueRequestError(`"${host.slice(0, 80)}" is not a valid host name`);
    const csr = await this.csr(csrPem);
    if (csr.commonName !== host)
      throw new IssueRequestError(`the CSR names "${csr.commonName.slice(0, 80)}", not the host "${host}"`);
    return this.issue("agent", host, "", agentSubject(host), csr.publicKey, ttlMs);
  }

  /** An admin certificate with `role`, for a key the caller holds (`publicKey` from its CSR or a key made for it). */
  async issueAdminFor(name: string, role: string, publicKey: x509.PublicKey | CryptoKeyLike): Promise<Issued> {
    if (!ADMIN_NAME_PATTERN.test(name))
      throw new IssueRequestError(
        `"${name.slice(0, 80)}" is not a valid admin name (letters, digits, . _ @ -; up to 64)`,
      );
    if (!ROLES.includes(role as Role))
      throw new IssueRequestError(`"${role.slice(0, 40)}" is not a role (${ROLES.join(", ")})`);
    return this.issue("admin", name, role, adminSubject(name, role), publicKey, ADMIN_CERT_LIFETIME_MS);
  }

  /** Parses and checks a CSR; a bad one is an IssueRequestError (INVALID_ARGUMENT). */
  async csr(csrPem: string): Promise<VerifiedCsr> {
    try {
      return await verifyCsr(csrPem);
    } catch (err) {
      throw new IssueRequestError((err as Error).message, { cause: err });
    }
  }

  /** Revokes every certificate issued to host `host`; returns how many were revoked now. */
  async revokeHost(host: string, reason: string): Promise<number> {
    return this.revoked("agent", (await this.registry.revoke("agent", host, reason, this.now())).length);
  }

  /** Revokes every certificate of admin `name`: its next call is refused (PeerVerifier checks each call). */
  async revokeAdmin(name: string, reason: string): Promise<number> {
    return this.revoked("admin", (await this.registry.revoke("admin", name, reason, this.now())).length);
  }

  /** Adds a listener told how many certificates of which kind each revocation revoked (when any); it must not throw. */
  onRevoked(listener: (kind: "agent" | "admin", certificates: number) => void): void {
    this.revokedListeners.push(listener);
  }

  private revoked(kind: "agent" | "admin", certificates: number): number {
    if (certificates > 0) for (const l of this.revokedListeners) l(kind, certificates);
    return certificates;
  }

  private async issue(
    kind: IssuedKind,
    name: string,
    role: string,
    subject: string,
    publicKey: x509.PublicKey | CryptoKeyLike,
    ttlMs: number,
  ): Promise<Issued> {
    const now = this.now();
    const cert = await this.ca.issue({ subject, publicKey: publicKey as x509.PublicKey, ttlMs, usage: "client", now });
    await this.registry.record(recordOf(cert, kind, name, role, now));
    return {
      cert,
      certificatePem: cert.toString("pem") + "\n",
      caPem: this.ca.certPem,
      notAfter: cert.notAfter.toISOString(),
    };
  }
}

/**
 * SQLite: the CA in `<data>/pki/` (or the operator's), as ever. PostgreSQL: the CA every
 * replica on the store shares (ca-store.ts), which needs the sealing key's file.
 */
async function openCa(opts: PkiOptions, now: number): Promise<CertificateAuthority> {
  const db = queryableOf(opts.db);
  const keyFile = opts.ca?.storeKeyFile;
  if (db.engine === "sqlite") {
    if (keyFile)
      throw new OptionError(
        STORE_KEY_OPTION,
        "is for a postgres:// --store only (with SQLite the CA stays in DATA/pki)",
      );
    return CertificateAuthority.open(opts.dataDir, opts.ca, now);
  }
  if (!keyFile)
    throw new OptionError(
      STORE_KEY_OPTION,
      "is required with a postgres:// --store: the replicas share one CA whose key the store holds sealed with this key. Make it once ('head -c 32 /dev/urandom > FILE; chmod 600 FILE') and give every replica a copy (docs/postgres.md, 'The shared CA')",
    );
  return openSharedCa({
    db,
    key: await SealingKey.read(keyFile),
    dataDir: opts.dataDir,
    source: opts.ca,
    replica: opts.replica ?? hostname(),
    now,
  });
}

/** A WebCrypto public key (typed loosely: DOM and node typings differ). */
export type CryptoKeyLike = { readonly type: string; readonly algorithm: unknown };

function recordOf(cert: x509.X509Certificate, kind: IssuedKind, name: string, role: string, now: number) {
  return {
    serial: cert.serialNumber.toLowerCase(),
    kind,
    name,
    role,
    fingerprint: fingerprintOf(cert),
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
    issuedAt: now,
  };
}
