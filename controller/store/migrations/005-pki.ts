import type { Migration } from "../../../common/index.js";

/**
 * Enrolment and certificates (controller/enroll, controller/pki).
 * `enrol_tokens`: one row per `token create`; only sha256 of the secret is stored
 * (`secret_hash`), `uses_left` counts down to 0, `host`/`pattern` bind it ("" = any host).
 * `certificates`: every certificate the CA issued (agents, admins, the server), by serial
 * (hex); `revoked_at` set = refused from then on, whatever its dates. Times in ms since epoch.
 */
export const M005_PKI: Migration = {
  version: 5,
  name: "pki",
  sql: `
    CREATE TABLE enrol_tokens (
      secret_hash TEXT PRIMARY KEY,
      host        TEXT NOT NULL,
      pattern     TEXT NOT NULL,
      uses        INTEGER NOT NULL,
      uses_left   INTEGER NOT NULL,
      created_at  INTEGER NOT NULL,
      expires_at  INTEGER NOT NULL,
      created_by  TEXT NOT NULL
    );
    CREATE INDEX enrol_tokens_by_expiry ON enrol_tokens (expires_at);
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
};
