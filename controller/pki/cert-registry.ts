import type { SqliteDatabase } from "../../common/index.js";

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

/**
 * Every certificate the CA issued and which are revoked (table `certificates`, migration 005).
 * The revoked serials are also kept in memory: checking a caller costs no query.
 */
export class CertificateRegistry {
  private readonly revoked = new Set<string>();
  private readonly byFingerprint;

  constructor(private readonly db: SqliteDatabase) {
    for (const r of db.prepare("SELECT serial FROM certificates WHERE revoked_at IS NOT NULL").all() as {
      serial: string;
    }[])
      this.revoked.add(r.serial);
    this.byFingerprint = db.prepare<[string], Row>("SELECT * FROM certificates WHERE fingerprint = ? LIMIT 1");
  }

  /** The certificate this CA issued whose DER has sha256 `fingerprint` (lowercase hex); undefined if none. */
  issuedWithFingerprint(fingerprint: string): (IssuedCertificate & { revokedAt: number | null }) | undefined {
    const r = this.byFingerprint.get(fingerprint);
    return r ? issuedOf(r) : undefined;
  }

  record(c: IssuedCertificate): void {
    this.db
      .prepare(
        "INSERT INTO certificates (serial, kind, name, role, fingerprint, not_before, not_after, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(c.serial, c.kind, c.name, c.role, c.fingerprint, c.notBefore, c.notAfter, c.issuedAt);
  }

  isRevoked(serial: string): boolean {
    return this.revoked.has(serial.toLowerCase());
  }

  /** Revokes every not yet revoked certificate of `kind`/`name`; returns the serials revoked now. */
  revoke(kind: IssuedKind, name: string, reason: string, now: number): string[] {
    const rows = this.db
      .prepare("SELECT serial FROM certificates WHERE kind = ? AND name = ? AND revoked_at IS NULL")
      .all(kind, name) as { serial: string }[];
    const update = this.db.prepare("UPDATE certificates SET revoked_at = ?, revoke_reason = ? WHERE serial = ?");
    this.db.transaction(() => {
      for (const r of rows) update.run(now, reason, r.serial);
    })();
    for (const r of rows) this.revoked.add(r.serial);
    return rows.map((r) => r.serial);
  }

  /** Certificates issued to `kind`/`name`, newest first. */
  issuedTo(kind: IssuedKind, name: string): (IssuedCertificate & { revokedAt: number | null })[] {
    const rows = this.db
      .prepare("SELECT * FROM certificates WHERE kind = ? AND name = ? ORDER BY issued_at DESC")
      .all(kind, name) as Row[];
    return rows.map(issuedOf);
  }
}

function issuedOf(r: Row): IssuedCertificate & { revokedAt: number | null } {
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
