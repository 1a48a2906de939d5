import type { AcknowledgeFlapRequest__Output } from "../../generated/proto/fleet/v1/AcknowledgeFlapRequest.js";
import type { AdminServiceHandlers } from "../../generated/proto/fleet/v1/AdminService.js";
import type { ControlRolloutRequest__Output } from "../../generated/proto/fleet/v1/ControlRolloutRequest.js";
import type { CreateAdminRequest__Output } from "../../generated/proto/fleet/v1/CreateAdminRequest.js";
import type { CreateAdminResponse } from "../../generated/proto/fleet/v1/CreateAdminResponse.js";
import type { CreateWebSignInRequest__Output } from "../../generated/proto/fleet/v1/CreateWebSignInRequest.js";
import type { CreateWebSignInResponse } from "../../generated/proto/fleet/v1/CreateWebSignInResponse.js";
import type { CreateTokenRequest__Output } from "../../generated/proto/fleet/v1/CreateTokenRequest.js";
import type { CreateTokenResponse } from "../../generated/proto/fleet/v1/CreateTokenResponse.js";
import type { PushPoliciesRequest__Output } from "../../generated/proto/fleet/v1/PushPoliciesRequest.js";
import type { PushPoliciesResponse } from "../../generated/proto/fleet/v1/PushPoliciesResponse.js";
import type { ResyncRequest__Output } from "../../generated/proto/fleet/v1/ResyncRequest.js";
import type { ResyncResponse } from "../../generated/proto/fleet/v1/ResyncResponse.js";
import type { RevokeCertificateRequest__Output } from "../../generated/proto/fleet/v1/RevokeCertificateRequest.js";
import type { RevokeCertificateResponse } from "../../generated/proto/fleet/v1/RevokeCertificateResponse.js";
import type { RemoveHostRequest__Output } from "../../generated/proto/fleet/v1/RemoveHostRequest.js";
import type { RemoveHostResponse } from "../../generated/proto/fleet/v1/RemoveHostResponse.js";
import type { Role } from "./types.js";

/** The names of the AdminService methods (the generated handlers type without its index signature). */
export type AdminMethod = keyof { [K in keyof AdminServiceHandlers as string extends K ? never : K]: unknown } & string;

/**
 * The role each AdminService method needs (roles include the ones below them: an operator
 * may do what a viewer may). Every method is listed — the type makes a missing one a
 * compile error, and a unit test checks the table against the loaded service definition —
 * and authorizeAdmin refuses to wrap a method that is not here (fail closed).
 */
export const ADMIN_METHOD_ROLES: Readonly<Record<AdminMethod, Role>> = {
  ListHosts: "viewer",
  GetHost: "viewer",
  ListPolicies: "viewer",
  ListDrift: "viewer",
  WatchDrift: "viewer",
  Compliance: "viewer",
  RolloutStatus: "viewer",
  Plan: "viewer",
  ListAudit: "viewer",
  VerifyAudit: "viewer",
  ControlRollout: "operator",
  AcknowledgeFlap: "operator",
  Resync: "operator",
  PushPolicies: "operator",
  CreateToken: "admin",
  RevokeCertificate: "admin",
  RemoveHost: "admin",
  CreateAdmin: "admin",
  // Any admin may sign in to the dashboard; its own role caps the session's (checked by the handler).
  CreateWebSignIn: "viewer",
};

/** The role `method` needs, or undefined for a name that is not an AdminService method. */
export function roleFor(method: string): Role | undefined {
  return Object.hasOwn(ADMIN_METHOD_ROLES, method) ? ADMIN_METHOD_ROLES[method as AdminMethod] : undefined;
}

/** What the audit log records for one call: `noun.verb`, its object, and details (never a secret). */
export interface AuditedAction {
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

/**
 * How a mutating call is described in the audit log: from its request, and — after it
 * succeeded — what it produced (`res`, absent for failed and denied calls). Describers
 * pick fields one by one; the token of CreateToken and the key of CreateAdmin never appear.
 */
type Describer<Req, Res> = (req: Req, res?: Res) => AuditedAction;

const ROLLOUT_ACTIONS = new Set(["pause", "resume", "abort", "rollback"]);
const clip = (s: string, n = 200) => (s.length > n ? `${s.slice(0, n)}…` : s);

export const MUTATING_ACTIONS: {
  ControlRollout: Describer<ControlRolloutRequest__Output, unknown>;
  AcknowledgeFlap: Describer<AcknowledgeFlapRequest__Output, unknown>;
  Resync: Describer<ResyncRequest__Output, ResyncResponse>;
  PushPolicies: Describer<PushPoliciesRequest__Output, PushPoliciesResponse>;
  CreateToken: Describer<CreateTokenRequest__Output, CreateTokenResponse>;
  RevokeCertificate: Describer<RevokeCertificateRequest__Output, RevokeCertificateResponse>;
  RemoveHost: Describer<RemoveHostRequest__Output, RemoveHostResponse>;
  CreateAdmin: Describer<CreateAdminRequest__Output, CreateAdminResponse>;
  CreateWebSignIn: Describer<CreateWebSignInRequest__Output, CreateWebSignInResponse>;
} = {
  ControlRollout: (req) => ({
    action: `rollout.${ROLLOUT_ACTIONS.has(req.action) ? req.action : "invalid"}`,
    target: req.policy,
    detail: {
      ...(ROLLOUT_ACTIONS.has(req.action) ? {} : { requested: clip(req.action) }),
      ...(req.reason ? { reason: clip(req.reason, 500) } : {}),
    },
  }),
  AcknowledgeFlap: (req) => ({
    action: "flap.acknowledge",
    target: req.host,
    detail: { resource: req.resource || "*" },
  }),
  Resync: (req, res) => ({
    action: "host.resync",
    target: req.all ? "*" : req.selector ? clip(req.selector) : clip(req.hosts.join(",")),
    detail: {
      ...(req.selector ? { selector: clip(req.selector, 500) } : {}),
      ...(res ? { sent: res.sent?.length ?? 0, notConnected: res.notConnected?.length ?? 0 } : {}),
    },
  }),
  // The file names and sizes, never their contents.
  PushPolicies: (req, res) => ({
    action: "policy.push",
    target: "*",
    detail: {
      files: clip(req.files.map((f) => f.name).join(","), 500),
      bytes: req.files.reduce((n, f) => n + Buffer.byteLength(f.text), 0),
      ...(res
        ? {
            accepted: res.accepted ?? false,
            ...(res.accepted
              ? { created: (res.created ?? []).map((c) => c.policy), removed: res.removed ?? [] }
              : { errors: res.errors?.length ?? 0 }),
          }
        : {}),
    },
  }),
  CreateToken: (req, res) => ({
    action: "token.create",
    target: req.host || req.pattern || "*",
    detail: {
      ...(req.host ? { host: req.host } : {}),
      ...(req.pattern ? { pattern: req.pattern } : {}),
      ttlMs: req.ttlMs,
      uses: req.uses || 1,
      ...(res?.expiresAt ? { expiresAt: res.expiresAt } : {}),
    },
  }),
  RevokeCertificate: (req, res) => ({
    action: "cert.revoke",
    target: req.admin ? `admin:${req.admin}` : req.host,
    detail: {
      ...(req.reason ? { reason: clip(req.reason, 500) } : {}),
      ...(res ? { revoked: res.revoked ?? 0, disconnected: res.disconnected ?? false } : {}),
    },
  }),
  RemoveHost: (req, res) => ({
    action: "host.remove",
    target: req.name,
    detail: {
      force: req.force,
      ...(req.reason ? { reason: clip(req.reason, 500) } : {}),
      ...(res ? { revoked: res.revoked ?? 0, disconnected: res.disconnected ?? false } : {}),
    },
  }),
  CreateAdmin: (req, res) => ({
    action: "admin.create",
    target: `${req.name}:${req.role}`,
    detail: {
      name: req.name,
      role: req.role,
      csr: req.csrPem !== "",
      ...(res?.notAfter ? { notAfter: res.notAfter } : {}),
    },
  }),
  // The URL (its token) is never recorded: only the role and when it expires.
  CreateWebSignIn: (req, res) => ({
    action: "web.signin",
    target: res?.role || req.role || "own-role",
    detail: {
      ...(req.role ? { requested: clip(req.role, 20) } : {}),
      ...(res?.expiresAt ? { expiresAt: res.expiresAt } : {}),
    },
  }),
};

/**
 * Whether calls of `method` change something and are therefore audited: every method above
 * viewer, and CreateWebSignIn (it issues a credential, whatever the caller's role).
 */
export function isMutating(method: string): method is keyof typeof MUTATING_ACTIONS {
  return Object.hasOwn(MUTATING_ACTIONS, method);
}
