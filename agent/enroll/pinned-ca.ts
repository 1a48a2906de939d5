import { connect, type DetailedPeerCertificate } from "node:tls";
import { isIP } from "node:net";
import { fingerprintOf, x509 } from "../../common/pki/index.js";
import { formatHostPort, type HostPort } from "../../common/address.js";
import { EnrolmentError } from "./errors.js";

export const PIN_TIMEOUT_MS = 10_000;

/**
 * Fetches the controller's CA certificate and checks it is the one the token names, before
 * anything the controller says is trusted. Opens TLS without verification (the chain is
 * read, not trusted), walks the chain the server presents, and returns (PEM) the certificate
 * whose sha256 equals `caFingerprint`; the real calls then use it as their only root, so the
 * TLS handshake itself proves the server holds a key that CA certified. No match: a permanent
 * EnrolmentError (wrong address or someone in between); unreachable: a transient one.
 */
export function fetchPinnedCa(address: HostPort, caFingerprint: string, timeoutMs = PIN_TIMEOUT_MS): Promise<string> {
  const target = formatHostPort(address);
  return new Promise<string>((resolve, reject) => {
    const socket = connect({
      host: address.host,
      port: address.port,
      servername: isIP(address.host) ? undefined : address.host,
      rejectUnauthorized: false,
      ALPNProtocols: ["h2"],
    });
    const done = (err: Error | undefined, pem?: string) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(pem!);
    };
    const timer = setTimeout(
      () => done(new EnrolmentError(`no TLS answer from the controller at ${target} within ${timeoutMs} ms`, false)),
      timeoutMs,
    );
    socket.once("error", (err) =>
      done(
        new EnrolmentError(`cannot reach the controller at ${target} over TLS: ${err.message}`, false, { cause: err }),
      ),
    );
    socket.once("secureConnect", () => {
      const seen = new Set<string>();
      let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      while (cert?.raw && !seen.has(cert.fingerprint256)) {
        seen.add(cert.fingerprint256);
        if (fingerprintOf(cert.raw) === caFingerprint)
          return done(undefined, new x509.X509Certificate(cert.raw).toString("pem") + "\n");
        cert = cert.issuerCertificate;
      }
      done(
        new EnrolmentError(
          `the controller at ${target} does not present the CA named in the token (sha256 ${caFingerprint.slice(0, 16)}…): wrong address, a token from another controller, or someone in between; nothing was sent`,
          true,
        ),
      );
    });
  });
}
