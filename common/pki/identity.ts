import { x509 } from "./x509.js";

/**
 * What a virtfleet certificate says about its holder. The CA writes the whole subject
 * itself (never copied from a CSR), so these fields can be trusted once the signature is:
 * - agent:  CN=<host>, O=virtfleet-agent,  EKU clientAuth
 * - admin:  CN=<name>, O=virtfleet-admin, OU=<role>, EKU clientAuth
 * - server: CN=virtfleet-controller, O=virtfleet-controller, EKU serverAuth
 * An agent certificate is therefore never an admin one, and the reverse.
 */
export type CertIdentity =
  | { kind: "agent"; host: string }
  | { kind: "admin"; name: string; role: string }
  | { kind: "server" }
  | { kind: "unknown"; reason: string };

export const SUBJECT_ORG = {
  agent: "virtfleet-agent",
  admin: "virtfleet-admin",
  server: "virtfleet-controller",
} as const;
export const SERVER_COMMON_NAME = "virtfleet-controller";

export const EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
export const EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

/** Host names as the agent stream accepts them (controller/agents validate-message). */
export const HOST_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
/** Admin names: a short word (people, robots). */
export const ADMIN_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._@-]{0,62}[A-Za-z0-9])?$/;

export function agentSubject(host: string): string {
  return `CN=${host}, O=${SUBJECT_ORG.agent}`;
}

export function adminSubject(name: string, role: string): string {
  return `CN=${name}, O=${SUBJECT_ORG.admin}, OU=${role}`;
}

export function serverSubject(): string {
  return `CN=${SERVER_COMMON_NAME}, O=${SUBJECT_ORG.server}`;
}

/** What identity classification reads from a certificate (however it was parsed). */
export interface IdentityParts {
  /** Every value of a subject attribute by short name (`CN`, `O`, `OU`). */
  field(name: string): readonly string[];
  /** Extended key usage OIDs (empty without the extension). */
  eku: readonly string[];
  /** The subject as text, for messages. */
  subject: string;
}

/** Reads the holder from a certificate's subject and EKU; does NOT check signature, dates or revocation. */
export function identityOf(cert: x509.X509Certificate): CertIdentity {
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  return identityOfParts({
    field: (name) => cert.subjectName.getField(name),
    eku: eku ? eku.usages.map(String) : [],
    subject: cert.subject,
  });
}

/** `identityOf` over already parsed parts (e.g. node:crypto's X509Certificate, see the controller's PeerVerifier). */
export function identityOfParts(parts: IdentityParts): CertIdentity {
  // Exactly one value of the field, or undefined (none or several).
  const single = (name: string): string | undefined => {
    const values = parts.field(name);
    return values.length === 1 ? values[0] : undefined;
  };
  const org = single("O");
  const cn = single("CN");
  const eku = parts.eku;
  if (org === SUBJECT_ORG.agent) {
    if (!cn || !HOST_NAME_PATTERN.test(cn))
      return { kind: "unknown", reason: "agent certificate without a valid host name" };
    if (!eku.includes(EKU_CLIENT_AUTH))
      return { kind: "unknown", reason: "agent certificate without clientAuth usage" };
    return { kind: "agent", host: cn };
  }
  if (org === SUBJECT_ORG.admin) {
    const role = single("OU");
    if (!cn || !ADMIN_NAME_PATTERN.test(cn) || !role)
      return { kind: "unknown", reason: "admin certificate without a valid name and role" };
    if (!eku.includes(EKU_CLIENT_AUTH))
      return { kind: "unknown", reason: "admin certificate without clientAuth usage" };
    return { kind: "admin", name: cn, role };
  }
  if (org === SUBJECT_ORG.server && cn === SERVER_COMMON_NAME && eku.includes(EKU_SERVER_AUTH))
    return { kind: "server" };
  return { kind: "unknown", reason: `not a virtfleet certificate (subject ${parts.subject})` };
}
