import * as grpc from "@grpc/grpc-js";
import { encodePlan, encodeRolloutStatus } from "../../common/wire/index.js";
import { describeError, NotFoundError, ValidationError, type Logger } from "../../common/index.js";
import type { AdminServiceHandlers } from "../../generated/proto/fleet/v1/AdminService.js";
import type { PolicyRepository } from "../policies/index.js";
import {
  goodRevision,
  isRemoval,
  isRollingBack,
  rolloutStatusJson,
  RolloutStateError,
  type Rollout,
} from "../rollout/index.js";
import {
  controlRollout,
  DEFAULT_PLAN_TIMEOUT_MS,
  NotLeaderError,
  unknownPolicy,
  type RolloutRunner,
} from "../rollout-runner/index.js";
import type { PlanJson } from "../plan/index.js";
import type { PlanRolloutJson } from "../../common/wire/index.js";
import { LEADER_TRAILER, MAX_PLAN_TIMEOUT_MS } from "../defaults.js";

export interface RolloutAdminDeps {
  runner: RolloutRunner;
  policies: PolicyRepository;
  /** The fleet dry-run of the policy in force (see planFleet). */
  plan: (policy: string, previousRevision: string | null, timeoutMs: number) => Promise<PlanJson>;
  /** The fleet plan of a removal rollout (see planRemoval): the hosts that still hold the policy. */
  planRemoval: (rollout: Rollout, timeoutMs: number) => Promise<PlanJson>;
  /** Replicas: the leader's address (controller_replicas), named to a caller a follower refuses. */
  leaderAddress?: () => Promise<string | null>;
  log: Logger;
}

type Failure = { code: grpc.status; details: string };

/**
 * AdminService.RolloutStatus, ControlRollout and Plan. A policy is known when it is in force
 * or has a rollout on record; anything else is NOT_FOUND naming it. Commands that do not
 * apply in the rollout's state are FAILED_PRECONDITION with the state in the message; so are
 * commands on a follower replica, naming the leader (LEADER_TRAILER).
 */
export function rolloutAdminHandlers(
  d: RolloutAdminDeps,
): Pick<AdminServiceHandlers, "RolloutStatus" | "ControlRollout" | "Plan"> {
  const unknown = (policy: string): Failure => ({
    code: grpc.status.NOT_FOUND,
    details: unknownPolicy(policy).message,
  });
  const inForce = (policy: string) => d.policies.current().policies.find((p) => p.name === policy);
  const status = (r: Rollout | undefined) => ({
    found: r !== undefined,
    ...(r ? { status: encodeRolloutStatus(rolloutStatusJson(r)) } : {}),
  });
  return {
    RolloutStatus: async (call, callback) => {
      const policy = call.request.policy;
      const r = await d.runner.rolloutOf(policy);
      if (!r && !inForce(policy)) return callback(unknown(policy));
      callback(null, status(r));
    },
    ControlRollout: async (call, callback) => {
      const { policy, action, reason } = call.request;
      try {
        callback(
          null,
          status(await controlRollout({ runner: d.runner, policies: d.policies, log: d.log }, policy, action, reason)),
        );
      } catch (err) {
        if (err instanceof ValidationError)
          return callback({ code: grpc.status.INVALID_ARGUMENT, details: err.message });
        if (err instanceof NotFoundError) return callback({ code: grpc.status.NOT_FOUND, details: err.message });
        if (err instanceof RolloutStateError)
          return callback({ code: grpc.status.FAILED_PRECONDITION, details: err.message });
        if (err instanceof NotLeaderError) {
          // a follower: the CLI asks the leader it names (AdminClient.atLeader)
          const leader = await d.leaderAddress?.().catch(() => null);
          const metadata = new grpc.Metadata();
          if (leader) metadata.set(LEADER_TRAILER, leader);
          return callback({
            code: grpc.status.FAILED_PRECONDITION,
            details: leader
              ? `this controller replica does not run rollouts; ask the leader at ${leader}`
              : `this controller replica does not run rollouts, and the leader's address is not known yet: try another replica`,
            metadata,
          });
        }
        callback({ code: grpc.status.INTERNAL, details: `rollout ${action} failed: ${describeError(err)}` });
      }
    },
    Plan: async (call, callback) => {
      const { policy, timeoutMs } = call.request;
      const p = inForce(policy);
      const r = await d.runner.rolloutOf(policy);
      const wait = timeoutMs > 0 ? Math.min(timeoutMs, MAX_PLAN_TIMEOUT_MS) : DEFAULT_PLAN_TIMEOUT_MS;
      // A removed policy: the plan of its removal (what is left unmanaged where it is still held).
      const removal = !p && r !== undefined && isRemoval(r) ? r : undefined;
      if (!p && !removal) return callback(unknown(policy));
      const previous = !p || r === undefined ? null : r.toRevision === p.revision ? r.fromRevision : goodRevision(r);
      (removal ? d.planRemoval(removal, wait) : d.plan(policy, previous, wait)).then(
        (plan) => {
          const rollout = p && r !== undefined && r.toRevision === p.revision ? planRolloutContext(r) : undefined;
          callback(null, { plan: encodePlan(rollout ? { ...plan, rollout } : plan) });
        },
        (err: unknown) => {
          d.log.error({ policy, err: describeError(err) }, "fleet plan failed");
          callback({ code: grpc.status.INTERNAL, details: `plan of ${policy} failed: ${describeError(err)}` });
        },
      );
    },
  };
}

/** The rollout of the planned revision as `plan` shows it: its state, end, and its own plan's summary. */
export function planRolloutContext(r: Rollout): PlanRolloutJson {
  const out: PlanRolloutJson = { id: r.id, state: isRollingBack(r) ? "failed" : r.state };
  if (r.finishedAt !== null) out.finishedAt = new Date(r.finishedAt).toISOString();
  const summary = (r.plan as { summary?: PlanJson["summary"] } | null)?.summary;
  if (summary && typeof summary === "object" && typeof summary.hostsChanging === "number")
    out.planSummary = { ...summary };
  return out;
}
