import * as grpc from "@grpc/grpc-js";
import { constants as cryptoConstants } from "node:crypto";
import { checkServerIdentity, type PeerCertificate, type SecureContextOptions } from "node:tls";
import { OptionError } from "../errors.js";
import type { TlsMaterial } from "../pki/material.js";
import { dropIpServernameWarning } from "./ip-servername-warning.js";

/**
 * The one place transport security is decided, for the controller's listener, the agent's
 * stream and the CLI's admin calls. Secure (the default): TLS with the controller's own CA on
 * both sides. Plaintext only with `insecure: true` (--insecure), which callers announce loudly.
 */
export interface TransportOptions {
  /** Plaintext gRPC. For local demos and tests only; say so loudly. */
  insecure: boolean;
  /**
   * Server: the CA that client certificates are checked against plus the server's chain and
   * key. Client: the pinned controller CA, and (except for enrolment) the client's chain and key.
   */
  tls?: ServerTls | ClientTls;
}

export type ServerTls = TlsMaterial;
export type ClientTls = Pick<TlsMaterial, "caPem"> & Partial<Pick<TlsMaterial, "certPem" | "keyPem">>;

/** The subject O every controller server certificate carries (common/pki identity). */
const SERVER_ORG = "virtfleet-controller";

const NO_TLS =
  "no TLS credentials: the controller serves mTLS with its own CA (agents enrol with 'virtfleet token create'; " +
  "the CLI reads the admin credential from --data / VIRTFLEET_DATA); pass --insecure only for plaintext on loopback";

/**
 * Secure server: asks every client for a certificate but does not require one, so EnrollService
 * (a token, no certificate yet) shares the port with everything else. A certificate that does not
 * chain to `caPem` or is expired leaves the call unauthenticated (grpc-js then reports no peer
 * certificate); every service but Enroll must therefore check its caller (controller/auth).
 */
export function serverCredentials(opts: TransportOptions): grpc.ServerCredentials {
  if (opts.insecure) return grpc.ServerCredentials.createInsecure();
  const tls = opts.tls;
  if (!tls || !tls.certPem || !tls.keyPem) throw new OptionError("--insecure", NO_TLS);
  const provider = new StaticCertificateProvider(Buffer.from(tls.caPem), {
    certificate: Buffer.from(tls.certPem),
    privateKey: Buffer.from(tls.keyPem),
  });
  return withoutSessionTickets(grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false));
}

/**
 * No encrypted TLS session tickets: a TLS 1.3 server sends two after every handshake, each an
 * encrypted copy of the session, and grpc-js clients never resume a session with them. With
 * SSL_OP_NO_TICKET OpenSSL sends bare session ids instead (nothing is cached: Node keeps no
 * server session cache). grpc-js builds each secure context from the credentials' context
 * options (protected API, grpc-js 1.14: `updateSecureContextOptions`); the options get the
 * flag on the way. test/unit/pki/server-credentials.test.ts checks the tickets are bare ids.
 */
function withoutSessionTickets(credentials: grpc.ServerCredentials): grpc.ServerCredentials {
  const target = credentials as unknown as { updateSecureContextOptions(options: SecureContextOptions | null): void };
  const update = target.updateSecureContextOptions.bind(credentials);
  target.updateSecureContextOptions = (options) =>
    update(options && { ...options, secureOptions: (options.secureOptions ?? 0) | cryptoConstants.SSL_OP_NO_TICKET });
  return credentials;
}

/**
 * Secure client: trusts only the pinned controller CA, presents the client certificate when
 * given (none while enrolling), and accepts only a controller server certificate for the
 * address dialled (so a host's own certificate, from the same CA, cannot pose as the controller).
 */
export function channelCredentials(opts: TransportOptions): grpc.ChannelCredentials {
  if (opts.insecure) return grpc.credentials.createInsecure();
  const tls = opts.tls;
  if (!tls) throw new OptionError("--insecure", NO_TLS);
  dropIpServernameWarning();
  const key = tls.keyPem ? Buffer.from(tls.keyPem) : null;
  const cert = tls.certPem ? Buffer.from(tls.certPem) : null;
  return grpc.credentials.createSsl(Buffer.from(tls.caPem), key, cert, {
    checkServerIdentity: checkControllerIdentity,
  });
}

/** Node's host name check plus: the certificate is a controller's, not any other one our CA issued. */
export function checkControllerIdentity(host: string, cert: PeerCertificate): Error | undefined {
  const err = checkServerIdentity(host, cert);
  if (err) return err;
  const org = (cert.subject as unknown as Record<string, string | string[] | undefined> | undefined)?.O;
  if (org !== SERVER_ORG)
    return new Error(
      `the peer at ${host} presented a certificate that is not a virtfleet controller's (subject O=${String(org)})`,
    );
  return undefined;
}

/**
 * Certificates that never change while the server runs (a restart picks up new files).
 * Listeners are answered asynchronously: grpc-js (1.14) registers its watcher only after
 * adding the listener, so a synchronous answer would be lost and every connection dropped.
 */
class StaticCertificateProvider implements grpc.experimental.CertificateProvider {
  constructor(
    private readonly ca: Buffer,
    private readonly identity: grpc.experimental.IdentityCertificateUpdate,
  ) {}

  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    queueMicrotask(() => listener({ caCertificate: this.ca }));
  }

  removeCaCertificateListener(): void {}

  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    queueMicrotask(() => listener(this.identity));
  }

  removeIdentityCertificateListener(): void {}
}
