import { describeError, type Logger } from "../../common/index.js";
import type { AuditEntry, AuditSink } from "./types.js";

/** The actor of what the controller does on its own (policy loads, enrolment it grants). */
export const CONTROLLER_ACTOR = "controller";

/**
 * Audit records for what happens outside AdminService calls (those are recorded by
 * controller/auth authorizeAdmin). Every method is fire-and-forget: a failure to write is
 * logged at error level and never thrown into the caller's work.
 */
export interface ControllerAuditEvents {
  /** A policy got a new stored revision (`policy.revision`, target the policy). */
  policyRevision(p: { policy: string; revision: string; generation: number }): void;
  /** A policy left the folder (`policy.remove`, target the policy). */
  policyRemoved(policy: string): void;
  /** A host enrolled and got its certificate (`host.enrol`, target the host); detail e.g. serial, notAfter, token id — never the token. */
  hostEnrolled(host: string, detail?: Record<string, unknown>, actor?: string): void;
  /**
   * A host's certificates were revoked other than through AdminService.RevokeCertificate
   * (which authorizeAdmin records already): `cert.revoke`, target the host.
   */
  certRevoked(host: string, detail?: Record<string, unknown>, actor?: string): void;
  /** A host renewed its certificate over mTLS (`cert.renew`, actor the agent, target the host). */
  certRenewed(host: string, detail?: Record<string, unknown>): void;
}

export function controllerAuditEvents(audit: AuditSink, log: Logger): ControllerAuditEvents {
  const failed = (entry: AuditEntry, err: unknown) =>
    log.error(
      { action: entry.action, target: entry.target, err: describeError(err) },
      "writing an audit record failed",
    );
  const record = (entry: AuditEntry) => {
    try {
      audit.append(entry).catch((err: unknown) => failed(entry, err));
    } catch (err) {
      failed(entry, err);
    }
  };
  return {
    policyRevision: (p) =>
      record({
        actor: CONTROLLER_ACTOR,
        action: "policy.revision",
        target: p.policy,
        detail: { revision: p.revision, generation: p.generation },
      }),
    policyRemoved: (policy) => record({ actor: CONTROLLER_ACTOR, action: "policy.remove", target: policy }),
    hostEnrolled: (host, detail, actor = CONTROLLER_ACTOR) =>
      record({ actor, action: "host.enrol", target: host, detail }),
    certRevoked: (host, detail, actor = CONTROLLER_ACTOR) =>
      record({ actor, action: "cert.revoke", target: host, detail }),
    certRenewed: (host, detail) => record({ actor: `agent:${host}`, action: "cert.renew", target: host, detail }),
  };
}

/** The parts of controller/policies PolicyRepository this needs. */
export interface PolicyChangeSource {
  onChange(
    listener: (change: { created: string[]; removed: string[] }, origin?: "folder" | "push" | "store") => void,
  ): () => void;
  revisions():
    | { policy: string; revision: string; generation: number }[]
    | Promise<{ policy: string; revision: string; generation: number }[]>;
}

/**
 * Records `policy.revision` for every policy an accepted load gave a new revision, and
 * `policy.remove` for every policy it removed. Subscribe before the repository's `start()`
 * so the first load is recorded too. Returns the unsubscribe. A failure to read the
 * revisions in force is logged to `log` (when given); it never reaches the repository.
 */
export function auditPolicyChanges(repo: PolicyChangeSource, events: ControllerAuditEvents, log?: Logger): () => void {
  return repo.onChange((change, origin) => {
    // A change another replica made and this one followed: that replica records it.
    if (origin === "store") return;
    const record = (revisions: { policy: string; revision: string; generation: number }[]) => {
      const inForce = new Map(revisions.map((r) => [r.policy, r]));
      for (const policy of change.created) {
        const r = inForce.get(policy);
        if (r) events.policyRevision(r);
      }
      for (const policy of change.removed) events.policyRemoved(policy);
    };
    const revisions = repo.revisions();
    if (Array.isArray(revisions)) return record(revisions);
    revisions.then(record, (err: unknown) =>
      log?.error({ err: describeError(err) }, "reading the revisions in force for the audit log failed"),
    );
  });
}

/** One enrolment or renewal as controller/enroll EnrollService reports it (its EnrollEvents). */
export interface EnrolmentEvent {
  host: string;
  serial: string;
  notAfter: string;
  peer: string;
}

/**
 * EnrollEvents for controller/enroll EnrollService (`events:`): `host.enrol` (actor
 * controller, which granted it for a valid token) and `cert.renew` (actor the agent), with
 * serial, notAfter and the peer address as detail.
 */
export function enrolmentAuditEvents(events: ControllerAuditEvents): {
  onEnrolled(e: EnrolmentEvent): void;
  onRenewed(e: EnrolmentEvent): void;
} {
  const detail = (e: EnrolmentEvent) => ({ serial: e.serial, notAfter: e.notAfter, peer: e.peer });
  return {
    onEnrolled: (e) => events.hostEnrolled(e.host, detail(e)),
    onRenewed: (e) => events.certRenewed(e.host, detail(e)),
  };
}
