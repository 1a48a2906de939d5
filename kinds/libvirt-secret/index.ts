/**
 * libvirt secret objects virtfleet manages from files named in policies (pool CHAP / Ceph
 * credentials; later guest VNC passwords): the file check and the secret's lifecycle.
 */
export { readSecretFile, SecretFileError, SECRET_FILE_MAX_BYTES } from "./secret-file.js";
export {
  ensureSecret,
  removeSecret,
  secretState,
  secretUsageIdOf,
  type ManagedSecret,
  type SecretState,
} from "./secret.js";
