import * as grpc from "@grpc/grpc-js";
import { describeError, ValidationError, VirtfleetError, type Logger } from "../../common/index.js";
import type { AdminServiceHandlers } from "../../generated/proto/fleet/v1/AdminService.js";
import type { AuditRecord as AuditRecordProto } from "../../generated/proto/fleet/v1/AuditRecord.js";
import type { AuditLog, AuditRecord } from "../audit/index.js";
import { ADMIN_NAME, RESERVED_ADMIN_NAMES, ROLES, type Role } from "../auth/index.js";

/** Largest CSR accepted. */
export const MAX_CSR_CHARS = 16_384;
const CSR = /^-----BEGIN CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE REQUEST-----\s*$/;

/** What the CA gives for a new admin (controller/pki). `keyPem` only when no CSR was given. */
export interface IssuedAdmin {
  certificatePem: string;
  caPem: string;
  keyPem?: string;
  notAfter: string | Date;
}

/**
 * Issues an admin client certificate for `name` with `role` in it: for the public key of
 * `csrPem`, or for a key it makes (and returns) when csrPem is undefined. Rejects with a
 * ValidationError for a CSR it cannot use.
 */
export type IssueAdmin = (name: string, role: Role, csrPem?: string) => Promise<IssuedAdmin>;

/** The controller cannot issue admin certificates (no CA: it runs with --insecure); answered FAILED_PRECONDITION. */
export class NoCertificateAuthorityError extends VirtfleetError {
  constructor(
    message = "this controller runs with --insecure and has no CA, so it cannot issue admin certificates; start it without --insecure",
  ) {
    super("FAILED_PRECONDITION", message);
  }
}

/** The IssueAdmin of a controller without a CA (--insecure): always NoCertificateAuthorityError. */
export const issueAdminWithoutCa: IssueAdmin = () => Promise.reject(new NoCertificateAuthorityError());

export interface AuditAdminDeps {
  audit: AuditLog;
  issueAdmin: IssueAdmin;
  log: Logger;
}

export function toAuditRecordProto(r: AuditRecord): AuditRecordProto {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    detailJson: r.detailJson,
    hash: r.hash,
    prevHash: r.prevHash,
  };
}

/** Checks a CreateAdmin request; returns the role. Throws ValidationError naming the field. */
export function validateCreateAdmin(req: { name: string; role: string; csrPem: string }): Role {
  if (!ADMIN_NAME.test(req.name))
    throw new ValidationError(
      `admin name ${JSON.stringify(req.name.slice(0, 80))} is invalid: a lower-case letter, then lower-case letters, digits or '-', at most 63 characters`,
    );
  if (RESERVED_ADMIN_NAMES.includes(req.name))
    throw new ValidationError(`admin name ${JSON.stringify(req.name)} is reserved; choose another`);
  if (!ROLES.includes(req.role as Role))
    throw new ValidationError(
      `role ${JSON.stringify(req.role.slice(0, 40))} is invalid; use one of ${ROLES.join(", ")}`,
    );
  if (req.csrPem !== "" && (req.csrPem.length > MAX_CSR_CHARS || !CSR.test(req.csrPem))) {
    throw new ValidationError(
      `csr_pem is not a PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----, at most ${MAX_CSR_CHARS} characters)`,
    );
  }
  return req.role as Role;
}

function parseSince(since: string): number | undefined {
  if (since === "") return undefined;
  const t = Date.parse(since);
  if (Number.isNaN(t)) throw new ValidationError(`since ${JSON.stringify(since.slice(0, 80))} is not an ISO 8601 time`);
  return t;
}

/**
 * AdminService.ListAudit, VerifyAudit and CreateAdmin. Bad input is INVALID_ARGUMENT naming
 * the field; no CA (NoCertificateAuthorityError) FAILED_PRECONDITION; anything else INTERNAL (logged). Authorization and the audit record of
 * CreateAdmin are authorizeAdmin's job (controller/auth), not these handlers'.
 */
export function auditAdminHandlers(
  d: AuditAdminDeps,
): Pick<AdminServiceHandlers, "ListAudit" | "VerifyAudit" | "CreateAdmin"> {
  const fail = (err: unknown, what: string): Partial<grpc.StatusObject> => {
    if (err instanceof ValidationError) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
    if (err instanceof NoCertificateAuthorityError)
      return { code: grpc.status.FAILED_PRECONDITION, details: err.message };
    d.log.error({ err: describeError(err) }, `${what} failed`);
    return { code: grpc.status.INTERNAL, details: `${what} failed: ${describeError(err)}` };
  };
  return {
    ListAudit: async (call, callback) => {
      try {
        const records = await d.audit.list({ limit: call.request.limit, since: parseSince(call.request.since) });
        callback(null, { records: records.map(toAuditRecordProto) });
      } catch (err) {
        callback(fail(err, "listing the audit log"));
      }
    },
    VerifyAudit: (_call, callback) => {
      d.audit.verifyAsync().then(
        (v) => {
          if (!v.ok) d.log.error({ firstBadSeq: v.firstBadSeq, problem: v.problem }, "the audit log does not verify");
          callback(null, { ok: v.ok, checked: v.checked, firstBadSeq: v.firstBadSeq ?? 0, problem: v.problem ?? "" });
        },
        (err: unknown) => callback(fail(err, "verifying the audit log")),
      );
    },
    CreateAdmin: (call, callback) => {
      const req = call.request;
      let role: Role;
      try {
        role = validateCreateAdmin(req);
      } catch (err) {
        return callback(fail(err, "creating an admin"));
      }
      d.issueAdmin(req.name, role, req.csrPem || undefined).then(
        (issued) => {
          const notAfter = issued.notAfter instanceof Date ? issued.notAfter.toISOString() : issued.notAfter;
          d.log.info({ name: req.name, role, notAfter, csr: req.csrPem !== "" }, "admin certificate issued");
          callback(null, {
            certificatePem: issued.certificatePem,
            caPem: issued.caPem,
            keyPem: req.csrPem ? "" : (issued.keyPem ?? ""),
            notAfter,
          });
        },
        (err: unknown) => callback(fail(err, `creating admin ${req.name}`)),
      );
    },
  };
}
