export { x509, SIGNING_ALGORITHM } from "./x509.js";
export { PkiError, TokenFormatError } from "./errors.js";
export { generateKeyPair, privateKeyToPem, keyPairFromPem, keyMatchesCertificate } from "./keys.js";
export { fingerprintOf } from "./fingerprint.js";
export {
  identityOf,
  identityOfParts,
  agentSubject,
  adminSubject,
  serverSubject,
  SUBJECT_ORG,
  SERVER_COMMON_NAME,
  EKU_CLIENT_AUTH,
  EKU_SERVER_AUTH,
  HOST_NAME_PATTERN,
  ADMIN_NAME_PATTERN,
  type CertIdentity,
  type IdentityParts,
} from "./identity.js";
export { createCsr, verifyCsr, MAX_CSR_PEM_CHARS, type VerifiedCsr } from "./csr.js";
export {
  formatEnrolToken,
  parseEnrolToken,
  hashTokenSecret,
  newTokenSecret,
  sameDigest,
  TOKEN_PREFIX,
  type EnrolToken,
} from "./token.js";
export { ensurePrivateDir, writePrivateFile, readPemFile, allExist, fileMode } from "./files.js";
export type { TlsMaterial } from "./material.js";
