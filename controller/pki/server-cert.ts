import { join } from "node:path";
import {
  allExist,
  generateKeyPair,
  keyPairFromPem,
  keyMatchesCertificate,
  privateKeyToPem,
  readPemFile,
  serverSubject,
  writePrivateFile,
  x509,
  type TlsMaterial,
} from "../../common/pki/index.js";
import { CA_DIR, type CertificateAuthority } from "./ca.js";
import { SERVER_CERT_LIFETIME_MS, SERVER_CERT_RENEW_BEFORE_MS } from "./lifetimes.js";
import type { ServerNames } from "./server-names.js";

export const SERVER_CERT_FILE = "server.cert.pem";
export const SERVER_KEY_FILE = "server.key.pem";

/**
 * The controller's TLS identity in `<data>/pki/server.{cert,key}.pem` (0600): reused while it
 * is signed by `ca`, covers every name in `names`, and has more than 30 days left; otherwise
 * issued anew with a new key. The certificate file holds the chain (leaf, then the CA) so a
 * client can see and pin the CA. Returns the material to serve and whether it was issued now.
 */
export async function ensureServerCertificate(
  ca: CertificateAuthority,
  dataDir: string,
  names: ServerNames,
  now = Date.now(),
): Promise<{ tls: TlsMaterial; issued?: x509.X509Certificate }> {
  const certFile = join(dataDir, CA_DIR, SERVER_CERT_FILE);
  const keyFile = join(dataDir, CA_DIR, SERVER_KEY_FILE);
  if (allExist(certFile, keyFile)) {
    const certPem = readPemFile(certFile, "the server certificate");
    const keyPem = readPemFile(keyFile, "the server key");
    if (await reusable(ca, certPem, keyPem, keyFile, names, now))
      return { tls: { caPem: ca.certPem, certPem, keyPem } };
  }
  const keys = await generateKeyPair();
  const cert = await ca.issue({
    subject: serverSubject(),
    publicKey: keys.publicKey,
    ttlMs: SERVER_CERT_LIFETIME_MS,
    usage: "server",
    ...names,
    now,
  });
  const certPem = cert.toString("pem") + "\n" + ca.certPem;
  const keyPem = await privateKeyToPem(keys.privateKey);
  writePrivateFile(keyFile, keyPem);
  writePrivateFile(certFile, certPem);
  return { tls: { caPem: ca.certPem, certPem, keyPem }, issued: cert };
}

async function reusable(
  ca: CertificateAuthority,
  certPem: string,
  keyPem: string,
  keyFile: string,
  names: ServerNames,
  now: number,
): Promise<boolean> {
  try {
    const cert = new x509.X509Certificate(certPem);
    if (cert.notAfter.getTime() - now < SERVER_CERT_RENEW_BEFORE_MS) return false;
    if (!(await ca.signed(cert))) return false;
    if (!(await keyMatchesCertificate(await keyPairFromPem(keyPem, keyFile), cert))) return false;
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    const have = new Set((san?.names.items ?? []).map((n) => `${n.type}:${n.value.toLowerCase()}`));
    return (
      names.dnsNames.every((d) => have.has(`dns:${d}`)) &&
      names.ipAddresses.every((ip) => have.has(`ip:${ip.toLowerCase()}`))
    );
  } catch {
    return false;
  }
}
