import type { webcrypto } from "node:crypto";
import { x509, SIGNING_ALGORITHM } from "./x509.js";
import { PkiError } from "./errors.js";

/** A fresh ECDSA P-256 key pair (extractable: it is written to a 0600 file). */
export async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return (await crypto.subtle.generateKey(SIGNING_ALGORITHM, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

/** PKCS#8 PEM ("PRIVATE KEY"), which Node's TLS and OpenSSL read. */
export async function privateKeyToPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

/**
 * Reads a PKCS#8 PEM P-256 private key back, with its public half (derived through JWK, so a
 * key file alone is enough). `what` names the file in errors.
 */
export async function keyPairFromPem(pem: string, what: string): Promise<webcrypto.CryptoKeyPair> {
  try {
    const der = x509.PemConverter.decodeFirst(pem);
    const privateKey = await crypto.subtle.importKey("pkcs8", der, SIGNING_ALGORITHM, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", privateKey);
    const publicKey = await crypto.subtle.importKey(
      "jwk",
      { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
      SIGNING_ALGORITHM,
      true,
      ["verify"],
    );
    return { privateKey, publicKey };
  } catch (err) {
    throw new PkiError(`${what} is not a PKCS#8 PEM ECDSA P-256 private key`, { cause: err });
  }
}

/** True when `cert`'s public key is the public half of `keys` (a signature made with one verifies with the other). */
export async function keyMatchesCertificate(
  keys: webcrypto.CryptoKeyPair,
  cert: x509.X509Certificate,
): Promise<boolean> {
  const probe = crypto.getRandomValues(new Uint8Array(32));
  const sig = await crypto.subtle.sign(SIGNING_ALGORITHM, keys.privateKey, probe);
  try {
    const pub = await cert.publicKey.export(SIGNING_ALGORITHM, ["verify"]);
    return await crypto.subtle.verify(SIGNING_ALGORITHM, pub, sig, probe);
  } catch {
    return false;
  }
}
