export { ControllerPki, type PkiOptions, type Issued } from "./controller-pki.js";
export { CertificateAuthority, type CaSource, CA_DIR, CA_CERT_FILE, CA_KEY_FILE } from "./ca.js";
export { CertificateRegistry, type IssuedCertificate, type IssuedKind } from "./cert-registry.js";
export { PeerVerifier, type PeerVerdict, type PeerIdentity } from "./peer-verifier.js";
export { issueAdminCertificate, type AdminCredentialRequest, type AdminCredential } from "./issue-admin.js";
export { ensureBootstrapAdmin, BOOTSTRAP_ADMIN_NAME } from "./bootstrap-admin.js";
export { serverNames, type ServerNames } from "./server-names.js";
export { IssueRequestError } from "./errors.js";
export { DEFAULT_AGENT_CERT_TTL_MS, MIN_AGENT_CERT_TTL_MS, ADMIN_CERT_LIFETIME_MS } from "./lifetimes.js";
