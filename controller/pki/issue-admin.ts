import { generateKeyPair, privateKeyToPem } from "../../common/pki/index.js";
import type { ControllerPki } from "./controller-pki.js";
import { IssueRequestError } from "./errors.js";

export interface AdminCredentialRequest {
  name: string;
  /** "viewer" | "operator" | "admin" */
  role: string;
  /** PKCS#10 PEM made by the caller; "" or absent = the controller makes the key and returns it. */
  csrPem?: string;
}

/** The answer to CreateAdmin (field names as in CreateAdminResponse). */
export interface AdminCredential {
  certificatePem: string;
  caPem: string;
  /** Only when no CSR was given. */
  keyPem: string;
  notAfter: string;
}

/**
 * Issues admin credentials: a client certificate `CN=<name>, O=virtfleet-admin, OU=<role>`
 * signed by the controller CA, valid one year, recorded for revocation. With a CSR only its
 * key is used (its subject must be CN=<name>); without one the controller makes a P-256 key
 * and returns it (keyPem). Invalid name, role or CSR: IssueRequestError (a ValidationError;
 * answer INVALID_ARGUMENT). Authorization (role admin) is the caller's job.
 */
export async function issueAdminCertificate(pki: ControllerPki, req: AdminCredentialRequest): Promise<AdminCredential> {
  if (req.csrPem) {
    const csr = await pki.csr(req.csrPem);
    if (csr.commonName !== req.name) {
      throw new IssueRequestError(
        `the CSR names "${csr.commonName.slice(0, 80)}", not the admin "${req.name.slice(0, 80)}"`,
      );
    }
    const issued = await pki.issueAdminFor(req.name, req.role, csr.publicKey);
    return { certificatePem: issued.certificatePem, caPem: issued.caPem, keyPem: "", notAfter: issued.notAfter };
  }
  const keys = await generateKeyPair();
  const issued = await pki.issueAdminFor(req.name, req.role, keys.publicKey);
  return {
    certificatePem: issued.certificatePem,
    caPem: issued.caPem,
    keyPem: await privateKeyToPem(keys.privateKey),
    notAfter: issued.notAfter,
  };
}
