import { AsyncDatabase, type SqliteDatabase } from "../../common/index.js";

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
 *
 * Contract: queries return Promises (the controller's database handle, AsyncDatabase), except
 * `issuedWithFingerprint`, which stays synchronous: PeerVerifier runs inside gRPC's synchronous
 * TLS/stream handlers. It is a read of one row by a unique key on the SQLite connection (not
 * through the gate: it may see an open transaction's uncommitted rows, and only `record` writes
 * them, outside transactions); a second engine must serve it from memory.
 */
export class CertificateRegistry {
  private readonly revoked = new Set<string>();
  private readonly byFingerprint;

  private readonly db: AsyncDatabase;

  constructor(handle: SqliteDatabase | AsyncDatabase) {
    this.db = AsyncDatabase.of(handle);
    const db = this.db.connection;
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

  async record(c: IssuedCertificate): Promise<void> {
    await this.db.write((db) =>
      db
        .prepare(
          "INSERT INTO certificates (serial, kind, name, role, fingerprint, not_before, not_after, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(c.serial, c.kind, c.name, c.role, c.fingerprint, c.notBefore, c.notAfter, c.issuedAt),
    );
  }

  isRevoked(serial: string): boolean {
    return this.revoked.has(serial.toLowerCase());
  }

  /** Revokes every not yet revoked certificate of `kind`/`name`; returns the serials revoked now. */
  async revoke(kind: IssuedKind, name: string, reason: string, now: number): Promise<string[]> {
    const rows = await this.db.transaction(() => {
      const db = this.db.connection;
      const found = db
        .prepare("SELECT serial FROM certificates WHERE kind = ? AND name = ? AND revoked_at IS NULL")
        .all(kind, name) as { serial: string }[];
      const update = db.prepare("UPDATE certificates SET revoked_at = ?, revoke_reason = ? WHERE serial = ?");
      for (const r of found) update.run(now, reason, r.serial);
      return found;
    });
    for (const r of rows) this.revoked.add(r.serial);
    return rows.map((r) => r.serial);
  }

  /** Certificates issued to `kind`/`name`, newest first. */
  async issuedTo(kind: IssuedKind, name: string): Promise<(IssuedCertificate & { revokedAt: number | null })[]> {
    const rows = await this.db.read(
      (db) =>
        db
          .prepare("SELECT * FROM certificates WHERE kind = ? AND name = ? ORDER BY issued_at DESC")
          .all(kind, name) as Row[],
    );
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
