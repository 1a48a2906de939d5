import type { webcrypto } from "node:crypto";
import { x509, SIGNING_ALGORITHM } from "./x509.js";
import { PkiError } from "./errors.js";

/** A PKCS#10 request (PEM) for `commonName`, signed with `keys` (proof the requester holds the private key). */
export async function createCsr(commonName: string, keys: webcrypto.CryptoKeyPair): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  return csr.toString("pem");
}

export interface VerifiedCsr {
  commonName: string;
  publicKey: x509.PublicKey;
}

/** Longest CSR accepted (a P-256 one is well under 1 KiB). */
export const MAX_CSR_PEM_CHARS = 8_192;

/**
 * Parses a CSR and checks its self-signature and key type (P-256 only). The subject must be
 * exactly one CN; everything else in it (and any requested extension) is ignored: the CA
 * writes subjects and extensions itself.
 */
export async function verifyCsr(pem: string): Promise<VerifiedCsr> {
  if (pem.length > MAX_CSR_PEM_CHARS)
    throw new PkiError(`the CSR is ${pem.length} characters, more than ${MAX_CSR_PEM_CHARS}`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch (err) {
    throw new PkiError("the CSR is not a PEM PKCS#10 certificate request", { cause: err });
  }
  const alg = csr.publicKey.algorithm as webcrypto.EcKeyAlgorithm;
  if (alg.name !== "ECDSA" || alg.namedCurve !== "P-256")
    throw new PkiError(`the CSR's key must be ECDSA P-256, not ${alg.name} ${alg.namedCurve ?? ""}`.trim());
  let valid = false;
  try {
    valid = await csr.verify();
  } catch (err) {
    throw new PkiError("the CSR's signature cannot be checked", { cause: err });
  }
  if (!valid) throw new PkiError("the CSR's signature does not match its key");
  const cns = csr.subjectName.getField("CN");
  if (cns.length !== 1) throw new PkiError(`the CSR's subject must hold exactly one CN, not "${csr.subject}"`);
  return { commonName: cns[0], publicKey: csr.publicKey };
}
