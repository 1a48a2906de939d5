/**
 * This folder's part of the controller's schema steps (controller/database/migrations.ts), by
 * step version. Append only: a released step never changes (existing databases applied it).
 *
 * - 5: `certificates`: every certificate the CA issued (agents, admins, the server), by serial
 *   (hex); `revoked_at` set = refused from then on, whatever its dates. Times in ms since epoch.
 * - 7: certificates by fingerprint (PeerVerifier): a client certificate whose sha256 is
 *   recorded as issued by this controller is known without parsing it or checking its
 *   signature again (a reconnect storm of 10,000 agents costs one point read each).
 * - 11: `pki_ca`, the CA that controller replicas on one PostgreSQL store share: its
 *   certificate, its key sealed (encrypted) with a key every replica holds in a file, and a
 *   check value identifying that sealing key (a replica holding another key is refused).
 */
export const PKI_SCHEMA = {
  5: `
    CREATE TABLE certificates (
      serial         TEXT PRIMARY KEY,
      kind           TEXT NOT NULL,
      name           TEXT NOT NULL,
      role           TEXT NOT NULL,
      fingerprint    TEXT NOT NULL,
      not_before     INTEGER NOT NULL,
      not_after      INTEGER NOT NULL,
      issued_at      INTEGER NOT NULL,
      revoked_at     INTEGER,
      revoke_reason  TEXT
    );
    CREATE INDEX certificates_by_name ON certificates (kind, name);
  `,
  7: `
    CREATE INDEX certificates_by_fingerprint ON certificates (fingerprint);
  `,
  11: `
    CREATE TABLE pki_ca (
      name        TEXT PRIMARY KEY,
      cert_pem    TEXT NOT NULL,
      key_sealed  TEXT NOT NULL,
      key_check   TEXT NOT NULL,
      created_at  INTEGER NOT NULL,
      created_by  TEXT NOT NULL
    );
  `,
} as const;

/**
 * The same steps for PostgreSQL (common/sql's dialect notes): 64-bit integers are BIGINT,
 * an INTEGER PRIMARY KEY is an identity column. Append only, like the SQLite text.
 */
export const PKI_SCHEMA_PG = {
  5: `
    CREATE TABLE certificates (
      serial         TEXT PRIMARY KEY,
      kind           TEXT NOT NULL,
      name           TEXT NOT NULL,
      role           TEXT NOT NULL,
      fingerprint    TEXT NOT NULL,
      not_before     BIGINT NOT NULL,
      not_after      BIGINT NOT NULL,
      issued_at      BIGINT NOT NULL,
      revoked_at     BIGINT,
      revoke_reason  TEXT
    );
    CREATE INDEX certificates_by_name ON certificates (kind, name);
  `,
  7: `
    CREATE INDEX certificates_by_fingerprint ON certificates (fingerprint);
  `,
  11: `
    CREATE TABLE pki_ca (
      name        TEXT PRIMARY KEY,
      cert_pem    TEXT NOT NULL,
      key_sealed  TEXT NOT NULL,
      key_check   TEXT NOT NULL,
      created_at  BIGINT NOT NULL,
      created_by  TEXT NOT NULL
    );
  `,
} as const;
