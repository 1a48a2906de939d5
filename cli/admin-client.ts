import type { AuditRecord__Output } from "../generated/proto/fleet/v1/AuditRecord.js";
import type { CreateAdminResponse__Output } from "../generated/proto/fleet/v1/CreateAdminResponse.js";
import type { VerifyAuditResponse__Output } from "../generated/proto/fleet/v1/VerifyAuditResponse.js";
import type { GetHostResponse__Output } from "../generated/proto/fleet/v1/GetHostResponse.js";
import type { HostRecord__Output } from "../generated/proto/fleet/v1/HostRecord.js";
import type { ListPoliciesResponse__Output } from "../generated/proto/fleet/v1/ListPoliciesResponse.js";
import type { PlanResponse__Output } from "../generated/proto/fleet/v1/PlanResponse.js";
import type { PushPoliciesResponse__Output } from "../generated/proto/fleet/v1/PushPoliciesResponse.js";
import type { ResyncResponse__Output } from "../generated/proto/fleet/v1/ResyncResponse.js";
import type { RolloutStatusResponse__Output } from "../generated/proto/fleet/v1/RolloutStatusResponse.js";
import { parseHostPort, type HostPort } from "../common/address.js";
import { ControllerChannels, type UnaryCall } from "./controller-channels.js";
import { FailedPreconditionError } from "./admin-errors.js";
import { LEADER_TRAILER } from "../controller/defaults.js";
import {
  decodePlan,
  decodeRolloutStatus,
  documentOf,
  type PlanJson,
  type RolloutStatusJson,
} from "../common/wire/admin-documents.js";

export {
  ControllerUnreachableError,
  FailedPreconditionError,
  PermissionDeniedError,
} from "./admin-errors.js";

export const ADMIN_CALL_TIMEOUT_MS = 10_000;
/** A push waits for the leader to validate and store up to POLICY_LIMITS of policy files. */
export const PUSH_POLICIES_TIMEOUT_MS = 60_000;

/** VerifyAudit walks the whole log (about 20 µs a record on the controller). */
export const VERIFY_AUDIT_TIMEOUT_MS = 120_000;

/** Operator commands on a rollout (ControlRollout). */
export type RolloutAction = "pause" | "resume" | "abort" | "rollback";

/** A Plan call waits this much longer than the hosts' answer window before giving up. */
export const PLAN_DEADLINE_SLACK_MS = 10_000;

/**
 * The CLI's view of the controller's admin API; every call has a deadline and a clear error.
 * Given several addresses (replicas), a call that reaches no controller is made on the next
 * one (cli/controller-channels.ts).
 */
export class AdminClient {
  private readonly channels: ControllerChannels;

  /** Plaintext with `insecure`; else mTLS with the admin credential from --data / VIRTFLEET_DATA (cli/admin-credentials.ts). */
  constructor(
    addresses: HostPort | readonly HostPort[],
    private readonly insecure: boolean,
  ) {
    this.channels = new ControllerChannels(addresses, insecure);
  }

  /** Hosts in `query.group` matching `query.selector` (both optional); a bad selector or unknown group rejects with a ValidationError. */
  /** Every host the query selects, page by page (a large fleet does not fit one message). */
  async listHosts(query: { group?: string; selector?: string } = {}): Promise<HostRecord__Output[]> {
    const hosts: HostRecord__Output[] = [];
    let pageToken = "";
    do {
      const page = await this.read<{ hosts: HostRecord__Output[]; next: string }>(
        "listing hosts",
        (client, deadline, done) =>
          client.ListHosts(
            { group: query.group ?? "", selector: query.selector ?? "", pageToken },
            { deadline },
            (err, res) => done(err, { hosts: res?.hosts ?? [], next: res?.nextPageToken ?? "" }),
          ),
      );
      hosts.push(...page.hosts);
      pageToken = page.next;
    } while (pageToken !== "");
    return hosts;
  }

  getHost(name: string, historyLimit = 0): Promise<GetHostResponse__Output> {
    return this.read<GetHostResponse__Output>(`reading host ${name}`, (client, deadline, done) =>
      client.GetHost({ name, historyLimit }, { deadline }, (err, res) => done(err, res!)),
    );
  }

  listPolicies(history = 0): Promise<ListPoliciesResponse__Output> {
    return this.read<ListPoliciesResponse__Output>("listing policies", (client, deadline, done) =>
      client.ListPolicies({ history }, { deadline }, (err, res) => done(err, res!)),
    );
  }

  /**
   * Fleet-wide dry-run of `policy`'s pending revision; the controller waits up to `timeoutMs`
   * for the hosts' answers, this call up to PLAN_DEADLINE_SLACK_MS longer. Unknown policy: NotFoundError.
   */
  plan(policy: string, timeoutMs: number): Promise<PlanJson> {
    return this.unary<PlanResponse__Output>(
      `planning ${policy}`,
      (client, deadline, done) => client.Plan({ policy, timeoutMs }, { deadline }, (err, res) => done(err, res!)),
      timeoutMs + PLAN_DEADLINE_SLACK_MS,
    ).then((res) => documentOf("plan", res.plan, res.planJson, decodePlan));
  }

  /** The policy's newest rollout, or null when it has none yet. Unknown policy: NotFoundError. */
  rolloutStatus(policy: string): Promise<RolloutStatusJson | null> {
    return this.read<RolloutStatusResponse__Output>(`reading the rollout of ${policy}`, (client, deadline, done) =>
      client.RolloutStatus({ policy }, { deadline }, (err, res) => done(err, res!)),
    ).then(statusDocument);
  }

  /**
   * Applies `action` to the policy's rollout; resolves to the status after it. Unknown policy:
   * NotFoundError; not applicable in the rollout's state: FailedPreconditionError (the controller's message).
   */
  controlRollout(policy: string, action: RolloutAction, reason = ""): Promise<RolloutStatusJson | null> {
    return this.atLeader<RolloutStatusResponse__Output>(
      `${ACTION_VERB[action]} the rollout of ${policy}`,
      (client, deadline, done) =>
        client.ControlRollout({ policy, action, reason }, { deadline }, (err, res) => done(err, res!)),
    ).then(statusDocument);
  }

  /** The newest `limit` audit records (0 = the controller's default) at or after `since` (ISO 8601, "" = all), oldest first. */
  listAudit(limit: number, since: string): Promise<AuditRecord__Output[]> {
    return this.read<AuditRecord__Output[]>("listing the audit log", (client, deadline, done) =>
      client.ListAudit({ limit, since }, { deadline }, (err, res) => done(err, res?.records ?? [])),
    );
  }

  /** Has the controller walk the audit log's hash chain (up to VERIFY_AUDIT_TIMEOUT_MS: a long log takes a while). */
  verifyAudit(): Promise<VerifyAuditResponse__Output> {
    return this.unary<VerifyAuditResponse__Output>(
      "verifying the audit log",
      (client, deadline, done) => client.VerifyAudit({}, { deadline }, (err, res) => done(err, res!)),
      VERIFY_AUDIT_TIMEOUT_MS,
    );
  }

  /** Asks the controller's CA for an admin certificate for `csrPem`'s key ("" = the controller makes the key and returns it). */
  createAdmin(name: string, role: string, csrPem: string): Promise<CreateAdminResponse__Output> {
    return this.unary<CreateAdminResponse__Output>(`creating admin ${name}`, (client, deadline, done) =>
      client.CreateAdmin({ name, role, csrPem }, { deadline }, (err, res) => done(err, res!)),
    );
  }

  /** A one-time dashboard sign-in URL (`role` "" = the caller's own); valid 60 s, used once. */
  createWebSignIn(role: string): Promise<{ url: string; expiresAt: string; role: string }> {
    return this.unary<{ url: string; expiresAt: string; role: string }>(
      "creating a dashboard sign-in link",
      (client, deadline, done) =>
        client.CreateWebSignIn({ role }, { deadline }, (err, res) =>
          done(err, { url: res?.url ?? "", expiresAt: res?.expiresAt ?? "", role: res?.role ?? "" }),
        ),
    );
  }

  /** A one-time enrolment token (`ttlMs` 0 = 1 h; `uses` 0 = 1); the controller keeps only its hash. */
  createToken(req: {
    ttlMs: number;
    host: string;
    pattern: string;
    uses: number;
  }): Promise<{ token: string; expiresAt: string }> {
    return this.unary<{ token: string; expiresAt: string }>("creating an enrolment token", (client, deadline, done) =>
      client.CreateToken(req, { deadline }, (err, res) =>
        done(err, { token: res?.token ?? "", expiresAt: res?.expiresAt ?? "" }),
      ),
    );
  }

  /** Revokes every certificate of `host` and closes its stream; NotFoundError when it never had one. */
  /** Revokes the certificates of `target`: a host, or `{ admin }` for an admin's. */
  revokeCertificate(
    target: string | { admin: string },
    reason: string,
  ): Promise<{ revoked: number; disconnected: boolean }> {
    const req = typeof target === "string" ? { host: target, reason } : { admin: target.admin, reason };
    const what = typeof target === "string" ? target : `admin ${target.admin}`;
    return this.unary<{ revoked: number; disconnected: boolean }>(
      `revoking the certificates of ${what}`,
      (client, deadline, done) =>
        client.RevokeCertificate(req, { deadline }, (err, res) =>
          done(err, { revoked: res?.revoked ?? 0, disconnected: res?.disconnected ?? false }),
        ),
    );
  }

  /** Sends Command.resync to the hosts named, or all, or those matching a selector; unknown host: NotFoundError. */
  resync(target: { hosts?: string[]; all?: boolean; selector?: string }): Promise<ResyncResponse__Output> {
    return this.unary<ResyncResponse__Output>("resync", (client, deadline, done) =>
      client.Resync(
        { hosts: target.hosts ?? [], all: target.all ?? false, selector: target.selector ?? "" },
        { deadline },
        (err, res) => done(err, res!),
      ),
    );
  }

  /** `host remove`: revoke, forget, take out of rollouts; FailedPreconditionError for a connected host without `force`. */
  removeHost(
    name: string,
    force: boolean,
    reason: string,
  ): Promise<{ revoked: number; disconnected: boolean; rollouts: string[] }> {
    return this.atLeader<{ revoked: number; disconnected: boolean; rollouts: string[] }>(
      `removing host ${name}`,
      (client, deadline, done) =>
        client.RemoveHost({ name, force, reason }, { deadline }, (err, res) =>
          done(err, {
            revoked: res?.revoked ?? 0,
            disconnected: res?.disconnected ?? false,
            rollouts: res?.rollouts ?? [],
          }),
        ),
    );
  }

  /**
   * `policy push`: the folder's files (by name) for the leader to validate and store (a
   * follower names the leader: see atLeader). A rejected push resolves with `accepted` false
   * and the errors. Refused: FailedPreconditionError.
   */
  pushPolicies(files: readonly { name: string; text: string }[]): Promise<PushPoliciesResponse__Output> {
    return this.atLeader<PushPoliciesResponse__Output>(
      "pushing policies",
      (client, deadline, done) =>
        client.PushPolicies({ files: [...files] }, { deadline }, (err, res) => done(err, res!)),
      PUSH_POLICIES_TIMEOUT_MS,
    );
  }

  close(): void {
    this.channels.close();
  }

  private unary<T>(what: string, call: UnaryCall<T>, timeoutMs = ADMIN_CALL_TIMEOUT_MS): Promise<T> {
    return this.channels.unary(what, call, timeoutMs);
  }

  /** A call that changes nothing: on several replicas, one that does not answer in time is passed by too. */
  private read<T>(what: string, call: UnaryCall<T>, timeoutMs = ADMIN_CALL_TIMEOUT_MS): Promise<T> {
    return this.channels.unary(what, call, timeoutMs, true);
  }

  /**
   * A call only the leading replica answers (policy push, rollout commands): made as any
   * other; when a follower refuses it naming the leader's address (FAILED_PRECONDITION with
   * LEADER_TRAILER), made once more there, whose answer (or refusal) is final.
   */
  private async atLeader<T>(what: string, call: UnaryCall<T>, timeoutMs = ADMIN_CALL_TIMEOUT_MS): Promise<T> {
    let leader: string | undefined;
    try {
      return await this.unary<T>(
        what,
        (client, deadline, done) =>
          call(client, deadline, (err, value) => {
            leader = err?.metadata?.get(LEADER_TRAILER)[0]?.toString() || undefined;
            done(err, value);
          }),
        timeoutMs,
      );
    } catch (err) {
      if (!leader || !(err instanceof FailedPreconditionError)) throw err;
      const there = new AdminClient(parseHostPort(leader, "the leader's address"), this.insecure);
      try {
        return await there.unary(what, call, timeoutMs);
      } finally {
        there.close();
      }
    }
  }
}

const ACTION_VERB: Record<RolloutAction, string> = {
  pause: "pausing",
  resume: "resuming",
  abort: "aborting",
  rollback: "rolling back",
};

/** The typed document, or the previous release's JSON text (common/wire/admin-documents.ts documentOf). */
function statusDocument(res: RolloutStatusResponse__Output): RolloutStatusJson | null {
  return res.found ? documentOf("rollout status", res.status, res.statusJson, decodeRolloutStatus) : null;
}
