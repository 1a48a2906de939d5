import { join } from "node:path";
import {
  allExist,
  fingerprintOf,
  identityOf,
  PkiError,
  readPemFile,
  writePrivateFile,
  x509,
} from "../../common/pki/index.js";

export const TLS_DIR = "tls";
export const AGENT_TLS_FILES = { key: "key.pem", cert: "cert.pem", ca: "ca.pem" } as const;

/** The agent's credentials as stored in `<state>/tls/` (0600) and what its certificate says. */
export interface AgentCredentials {
  keyPem: string;
  certPem: string;
  caPem: string;
  host: string;
  notBefore: number;
  notAfter: number;
  serial: string;
  caFingerprint: string;
}

export function tlsDir(stateDir: string): string {
  return join(stateDir, TLS_DIR);
}

/** Reads what describes a certificate; throws PkiError when it is not an agent certificate. */
export function describeCredentials(pems: { keyPem: string; certPem: string; caPem: string }): AgentCredentials {
  const cert = new x509.X509Certificate(pems.certPem);
  const id = identityOf(cert);
  if (id.kind !== "agent")
    throw new PkiError(
      `the stored certificate is not an agent certificate (${id.kind === "unknown" ? id.reason : id.kind})`,
    );
  return {
    ...pems,
    host: id.host,
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
    serial: cert.serialNumber.toLowerCase(),
    caFingerprint: fingerprintOf(new x509.X509Certificate(pems.caPem)),
  };
}

/** The stored credentials, or undefined when there are none; unreadable ones are a PkiError naming the folder. */
export function loadCredentials(stateDir: string): AgentCredentials | undefined {
  const dir = tlsDir(stateDir);
  const f = {
    key: join(dir, AGENT_TLS_FILES.key),
    cert: join(dir, AGENT_TLS_FILES.cert),
    ca: join(dir, AGENT_TLS_FILES.ca),
  };
  if (!allExist(f.key, f.cert, f.ca)) return undefined;
  try {
    return describeCredentials({
      keyPem: readPemFile(f.key, "the agent key"),
      certPem: readPemFile(f.cert, "the agent certificate"),
      caPem: readPemFile(f.ca, "the controller CA"),
    });
  } catch (err) {
    throw new PkiError(`the credentials in ${dir} are unreadable; remove the folder and enrol again with --token`, {
      cause: err,
    });
  }
}

/**
 * Stores key, certificate and CA (each 0600, atomically; folder 0700). The certificate is
 * written last: after a crash in between, the key does not match it and start-up says so.
 */
export function saveCredentials(stateDir: string, c: { keyPem: string; certPem: string; caPem: string }): void {
  const dir = tlsDir(stateDir);
  writePrivateFile(join(dir, AGENT_TLS_FILES.ca), c.caPem);
  writePrivateFile(join(dir, AGENT_TLS_FILES.key), c.keyPem);
  writePrivateFile(join(dir, AGENT_TLS_FILES.cert), c.certPem);
}
