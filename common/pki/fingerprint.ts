import { createHash } from "node:crypto";
import { x509 } from "./x509.js";

/** sha256 of a certificate's DER, lowercase hex (what `openssl x509 -fingerprint -sha256` shows, without colons). */
export function fingerprintOf(cert: x509.X509Certificate | Uint8Array | ArrayBuffer): string {
  const der = cert instanceof x509.X509Certificate ? cert.rawData : cert;
  return createHash("sha256").update(new Uint8Array(der)).digest("hex");
}
