import { join } from "node:path";
import { allExist, fingerprintOf, readPemFile, writePrivateFile, x509 } from "../../common/pki/index.js";
import type { ControllerPki } from "./controller-pki.js";
import { issueAdminCertificate } from "./issue-admin.js";
import { ADMIN_DIR, ADMIN_FILES } from "../defaults.js";

export const BOOTSTRAP_ADMIN_NAME = "admin";
/** The bootstrap credential is issued again when less than this is left. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

/**
 * The first admin credential, like a kubeconfig: `<data>/admin/{key,cert,ca}.pem` (0600),
 * role admin, for the CLI (`--data DIR` / VIRTFLEET_DATA). Written when missing, when it was
 * issued by another CA, or when it expires within 30 days; kept otherwise. Returns whether it
 * was written now.
 */
export async function ensureBootstrapAdmin(pki: ControllerPki, dataDir: string, now = Date.now()): Promise<boolean> {
  const dir = join(dataDir, ADMIN_DIR);
  const files = { key: join(dir, ADMIN_FILES.key), cert: join(dir, ADMIN_FILES.cert), ca: join(dir, ADMIN_FILES.ca) };
  if (allExist(files.key, files.cert, files.ca)) {
    try {
      const ca = new x509.X509Certificate(readPemFile(files.ca, "the admin CA"));
      const cert = new x509.X509Certificate(readPemFile(files.cert, "the admin certificate"));
      if (
        fingerprintOf(ca) === pki.caFingerprint &&
        (await pki.ca.signed(cert)) &&
        cert.notAfter.getTime() - now > RENEW_BEFORE_MS
      )
        return false;
    } catch {
      // unreadable: issue it again
    }
  }
  const cred = await issueAdminCertificate(pki, { name: BOOTSTRAP_ADMIN_NAME, role: "admin" });
  writePrivateFile(files.key, cred.keyPem);
  writePrivateFile(files.cert, cred.certificatePem);
  writePrivateFile(files.ca, cred.caPem);
  return true;
}
