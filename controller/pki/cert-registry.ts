import { queryableOf, type Queryable, type SqliteDatabase } from "../../common/index.js";

export type IssuedKind = "agent" | "admin" | "server";

export interface IssuedCertificate {
  /** Hex, lowercase. */
  serial: string;
  kind: IssuedKind;
  /** Host (agent), admin name, or "controller". */
  name: string;
  /** Admin role; "" otherwise. */
  role: string;
  fingerprint: string;
  notBefore: number;
  notAfter: number;
  issuedAt: number;
}

interface Row {
  serial: string;
  kind: IssuedKind;
  name: string;
  role: string;
  fingerprint: string;
  not_before: number;
  not_after: number;
  issued_at: number;
  revoked_at: number | null;
}

type Recorded = IssuedCertificate & { revokedAt: number | null };

/** The statements, one text for both engines (common/sql's dialect). */
const SQL = {
  revoked: "SELECT serial FROM certificates WHERE revoked_at IS NOT NULL",
  inDate: "SELECT * FROM certificates WHERE not_after >= ?",
  insert:
    "INSERT INTO certificates (serial, kind, name, role, fingerprint, not_before, not_after, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  // The condition is in the write (revoked_at IS NULL) and RETURNING names what it revoked:
  // of two replicas revoking the same holder at once, each serial is reported by one only.
  revoke:
    "UPDATE certificates SET revoked_at = ?, revoke_reason = ? WHERE kind = ? AND name = ? AND revoked_at IS NULL RETURNING serial",
  issuedTo: "SELECT * FROM certificates WHERE kind = ? AND name = ? ORDER BY issued_at DESC",
};

/**
 * Every certificate the CA issued and which are revoked (table `certificates`, migration 005).
 *
 * Contract: `open` loads into memory the revoked serials and the certificates still in date
 * by fingerprint, so `isRevoked` and `issuedWithFingerprint` are synchronous and cost no
 * query (PeerVerifier runs inside gRPC's synchronous TLS/stream handlers); `record` and
 * `revoke` keep that memory up to date with their own writes, and `refresh` re-reads it
 * (what other controller replicas wrote on a shared PostgreSQL store). The other queries
 * return Promises. A certificate not in memory (expired, or issued by another replica since
 * the last refresh) is not lost: PeerVerifier then parses it and checks its signature.
 */
export class CertificateRegistry {
  private readonly revoked = new Set<string>();
  private readonly byFingerprint = new Map<string, Recorded>();
  private readonly db: Queryable;

  private constructor(
    handle: SqliteDatabase | Queryable,
    private readonly now: () => number,
  ) {
    this.db = queryableOf(handle);
  }

  /** The registry of `handle`'s store, its memory loaded. */
  static async open(handle: SqliteDatabase | Queryable, now: () => number = Date.now): Promise<CertificateRegistry> {
    const registry = new CertificateRegistry(handle, now);
    await registry.refresh();
    return registry;
  }

  /**
   * Re-reads the revoked serials and the certificates in date from the store, into what is
   * in memory (merged, never replaced: a revocation or record made while the read ran is
   * kept; a revocation is never undone). Certificates expired by now leave memory.
   */
  async refresh(): Promise<void> {
    const now = this.now();
    const [revoked, inDate] = await Promise.all([
      this.db.all<{ serial: string }>(SQL.revoked),
      this.db.all<Row>(SQL.inDate, [now]),
    ]);
    for (const r of revoked) this.revoked.add(r.serial);
    for (const r of inDate) {
      const known = this.byFingerprint.get(r.fingerprint)?.revokedAt ?? null;
      this.byFingerprint.set(r.fingerprint, { ...issuedOf(r), revokedAt: r.revoked_at ?? known });
    }
    for (const [fingerprint, c] of this.byFingerprint) if (c.notAfter < now) this.byFingerprint.delete(fingerprint);
  }

  /**
   * The certificate this CA issued whose DER has sha256 `fingerprint` (lowercase hex), from
   * memory; undefined if none is known in date (see the class comment).
   */
  issuedWithFingerprint(fingerprint: string): Recorded | undefined {
    return this.byFingerprint.get(fingerprint);
  }

  async record(c: IssuedCertificate): Promise<void> {
    await this.db.run(SQL.insert, [
      c.serial,
      c.kind,
      c.name,
      c.role,
      c.fingerprint,
      c.notBefore,
      c.notAfter,
      c.issuedAt,
    ]);
    this.byFingerprint.set(c.fingerprint, { ...c, revokedAt: null });
  }

  isRevoked(serial: string): boolean {
    return this.revoked.has(serial.toLowerCase());
  }

  /** Revokes every not yet revoked certificate of `kind`/`name`; returns the serials revoked now. */
  async revoke(kind: IssuedKind, name: string, reason: string, now: number): Promise<string[]> {
    const rows = await this.db.all<{ serial: string }>(SQL.revoke, [now, reason, kind, name]);
    const serials = rows.map((r) => r.serial).sort();
    for (const serial of serials) this.revoked.add(serial);
    for (const c of this.byFingerprint.values())
      if (c.revokedAt === null && serials.includes(c.serial)) c.revokedAt = now;
    return serials;
  }

  /** Certificates issued to `kind`/`name`, newest first. */
  async issuedTo(kind: IssuedKind, name: string): Promise<Recorded[]> {
    return (await this.db.all<Row>(SQL.issuedTo, [kind, name])).map(issuedOf);
  }
}

function issuedOf(r: Row): Recorded {
  return {
    serial: r.serial,
    kind: r.kind,
    name: r.name,
    role: r.role,
    fingerprint: r.fingerprint,
    notBefore: r.not_before,
    notAfter: r.not_after,
    issuedAt: r.issued_at,
    revokedAt: r.revoked_at,
  };
}
