export { obtainCredentials, type CredentialOptions } from "./agent-credentials.js";
export {
  loadCredentials,
  saveCredentials,
  describeCredentials,
  tlsDir,
  TLS_DIR,
  AGENT_TLS_FILES,
  type AgentCredentials,
} from "./credential-store.js";
export { enrol, renew, ENROL_CALL_TIMEOUT_MS } from "./enroll-client.js";
export { fetchPinnedCa, PIN_TIMEOUT_MS } from "./pinned-ca.js";
export {
  RenewalScheduler,
  renewalDue,
  RENEW_AT_FRACTION,
  RENEW_CHECK_INTERVAL_MS,
  type RenewalDeps,
} from "./renewal.js";
export { EnrolmentError } from "./errors.js";
export { onFirstController } from "./each-controller.js";
