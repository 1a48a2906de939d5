import type { Migration } from "../../../common/index.js";

/**
 * Certificates by fingerprint (controller/pki PeerVerifier): a client certificate whose sha256
 * is recorded as issued by this controller is known without parsing it or checking its
 * signature again (a reconnect storm of 10,000 agents costs one point read each).
 */
export const M007_CERTIFICATE_FINGERPRINTS: Migration = {
  version: 7,
  name: "certificate-fingerprints",
  sql: `
    CREATE INDEX certificates_by_fingerprint ON certificates (fingerprint);
  `,
};
