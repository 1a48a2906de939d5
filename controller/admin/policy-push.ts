import * as grpc from "@grpc/grpc-js";
import type { AdminServiceHandlers } from "../../generated/proto/fleet/v1/AdminService.js";
import type { PushPoliciesResponse } from "../../generated/proto/fleet/v1/PushPoliciesResponse.js";
import { describeError, type Logger } from "../../common/index.js";
import { LEADER_TRAILER } from "../defaults.js";
import { PolicyPushRefusedError, type PolicyRepository } from "../policies/index.js";

export interface PolicyPushDeps {
  policies: PolicyRepository;
  /**
   * The leader's address (host:port) for a push that reached a follower, or null when not
   * known: e.g. `() => storedLeaderAddress(db)` (controller/replicas).
   */
  leaderAddress?: () => Promise<string | null>;
  log: Logger;
}

/**
 * AdminService.PushPolicies (`virtfleet policy push DIR`): the files go to
 * PolicyRepository.push. Accepted: the revisions created and removed; rejected: `accepted`
 * false and every error (files relative to the pushed folder), nothing stored. Refused with
 * FAILED_PRECONDITION when the controller loads a policies folder, or is not the leader (the
 * message and the LEADER_TRAILER name the leader's address when known).
 */
export function policyPushHandlers(deps: PolicyPushDeps): Pick<AdminServiceHandlers, "PushPolicies"> {
  return {
    PushPolicies: (call, callback) => {
      const files = call.request.files.map((f) => ({ name: f.name, text: f.text }));
      push(deps, files).then(
        (res) => callback(null, res),
        async (err: unknown) => {
          if (err instanceof PolicyPushRefusedError) {
            const trailer = new grpc.Metadata();
            let details = err.message;
            if (err.reason === "not-leader") {
              const leader = await deps.leaderAddress?.().catch(() => null);
              if (leader) {
                trailer.set(LEADER_TRAILER, leader);
                details = `this controller replica is not the leader; push to the leader at ${leader}`;
              } else details = `${err.message} (its address is not known yet: try another replica)`;
            }
            callback({ code: grpc.status.FAILED_PRECONDITION, details, metadata: trailer });
            return;
          }
          deps.log.error({ err: describeError(err) }, "storing pushed policies failed");
          callback({
            code: grpc.status.INTERNAL,
            details: `storing the pushed policies failed: ${describeError(err)}`,
          });
        },
      );
    },
  };
}

async function push(deps: PolicyPushDeps, files: { name: string; text: string }[]): Promise<PushPoliciesResponse> {
  const outcome = await deps.policies.push(files);
  if (!outcome.accepted)
    return {
      accepted: false,
      errors: outcome.errors.map((e) => ({ file: e.file, line: e.line, col: e.col, path: e.path, message: e.message })),
    };
  const change = outcome.change;
  const inForce = new Map((await deps.policies.revisions()).map((r) => [r.policy, r]));
  return {
    accepted: true,
    created: (change?.created ?? []).map((p) => ({
      policy: p,
      revision: inForce.get(p)?.revision ?? "",
      generation: inForce.get(p)?.generation ?? 0,
    })),
    removed: change?.removed ?? [],
    inventoryChanged: change?.inventoryChanged ?? false,
  };
}
