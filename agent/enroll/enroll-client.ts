import * as grpc from "@grpc/grpc-js";
import type { webcrypto } from "node:crypto";
import type { EnrollResponse__Output } from "../../generated/proto/fleet/v1/EnrollResponse.js";
import type { EnrollServiceClient } from "../../generated/proto/fleet/v1/EnrollService.js";
import { channelCredentials } from "../../common/grpc/credentials.js";
import { CLIENT_CHANNEL_OPTIONS } from "../../common/grpc/limits.js";
import { agentSideProto } from "../../common/grpc/load-protos.js";
import { formatHostPort, type HostPort } from "../../common/address.js";
import {
  createCsr,
  fingerprintOf,
  generateKeyPair,
  keyMatchesCertificate,
  keyPairFromPem,
  privateKeyToPem,
  x509,
  type EnrolToken,
} from "../../common/pki/index.js";
import { describeCredentials, type AgentCredentials } from "./credential-store.js";
import { EnrolmentError } from "./errors.js";
import { fetchPinnedCa } from "./pinned-ca.js";

export const ENROL_CALL_TIMEOUT_MS = 15_000;

/** Codes after which the same request cannot succeed. */
const PERMANENT = new Set([
  grpc.status.PERMISSION_DENIED,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.UNAUTHENTICATED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.FAILED_PRECONDITION,
]);

/**
 * Enrols this host: pins the controller CA named in the token, makes a P-256 key here (it
 * never leaves the host), sends only the CSR with the token over TLS rooted in the pinned CA,
 * and checks what comes back (same CA, our key, our host name). Returns the new credentials;
 * storing them is the caller's job.
 */
export async function enrol(
  controller: HostPort,
  token: EnrolToken & { text: string },
  host: string,
): Promise<AgentCredentials> {
  const caPem = await fetchPinnedCa(controller, token.caFingerprint);
  const keys = await generateKeyPair();
  const keyPem = await privateKeyToPem(keys.privateKey);
  const csrPem = await createCsr(host, keys);
  const res = await call(controller, { caPem }, "enrolment", (c, deadline, done) =>
    c.Enroll({ token: token.text, hostName: host, csrPem }, { deadline }, done),
  );
  return accept(res, { keyPem, caPem, keys, host, caFingerprint: token.caFingerprint });
}

/**
 * Renews over mTLS with the current certificate (same key: a crash can never leave a key
 * without its certificate). An expired or revoked certificate is refused: enrol again.
 */
export async function renew(controller: HostPort, current: AgentCredentials): Promise<AgentCredentials> {
  const keys = await keyPairFromPem(current.keyPem, "the agent key");
  const csrPem = await createCsr(current.host, keys);
  const res = await call(controller, current, "renewal", (c, deadline, done) =>
    c.Renew({ csrPem }, { deadline }, done),
  );
  return accept(res, {
    keyPem: current.keyPem,
    caPem: current.caPem,
    keys,
    host: current.host,
    caFingerprint: current.caFingerprint,
  });
}

type Done = (err: grpc.ServiceError | null, res?: EnrollResponse__Output) => void;

function call(
  controller: HostPort,
  tls: { caPem: string; certPem?: string; keyPem?: string },
  what: string,
  run: (c: EnrollServiceClient, deadline: Date, done: Done) => void,
): Promise<EnrollResponse__Output> {
  const target = formatHostPort(controller);
  // own subchannel pool: a renewed certificate must not ride on a connection made with the old one
  const client = new (agentSideProto().EnrollService)(target, channelCredentials({ insecure: false, tls }), {
    ...CLIENT_CHANNEL_OPTIONS,
    "grpc.use_local_subchannel_pool": 1,
  });
  return new Promise<EnrollResponse__Output>((resolve, reject) => {
    run(client, new Date(Date.now() + ENROL_CALL_TIMEOUT_MS), (err, res) => {
      client.close();
      if (!err) return resolve(res!);
      const permanent = PERMANENT.has(err.code);
      const hint =
        err.code === grpc.status.UNAUTHENTICATED
          ? " (an expired or revoked certificate cannot be renewed: enrol again with a new token)"
          : "";
      // no cause: the gRPC error's message only repeats the details
      reject(
        new EnrolmentError(
          `${what} refused by the controller at ${target}: ${err.details || err.message}${hint}`,
          permanent,
        ),
      );
    });
  });
}

async function accept(
  res: EnrollResponse__Output,
  want: { keyPem: string; caPem: string; keys: webcrypto.CryptoKeyPair; host: string; caFingerprint: string },
): Promise<AgentCredentials> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(res.certificatePem);
    if (fingerprintOf(new x509.X509Certificate(res.caPem)) !== want.caFingerprint)
      throw new Error("it names another CA than the pinned one");
    if (!(await keyMatchesCertificate(want.keys, cert))) throw new Error("the certificate is not for this host's key");
    if (!(await cert.verify({ publicKey: new x509.X509Certificate(want.caPem), signatureOnly: true })))
      throw new Error("the certificate is not signed by the pinned CA");
  } catch (err) {
    throw new EnrolmentError(`the controller's answer is unusable: ${(err as Error).message}`, true, { cause: err });
  }
  const creds = describeCredentials({ keyPem: want.keyPem, certPem: res.certificatePem, caPem: want.caPem });
  if (creds.host !== want.host)
    throw new EnrolmentError(`the controller issued a certificate for "${creds.host}", not "${want.host}"`, true);
  return creds;
}
