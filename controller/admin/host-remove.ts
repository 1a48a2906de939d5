import * as grpc from "@grpc/grpc-js";
import type { AdminServiceHandlers } from "../../generated/proto/fleet/v1/AdminService.js";
import { describeError, type Logger } from "../../common/index.js";
import { HOST_NAME_PATTERN } from "../../common/pki/index.js";
import type { HostStore } from "../hosts/index.js";
import type { ControllerPki } from "../pki/index.js";
import { LEADER_TRAILER } from "../defaults.js";

const MAX_REASON_CHARS = 500;

export interface HostRemoveDeps {
  hosts: HostStore;
  /** Absent with --insecure (no certificates to revoke). */
  pki?: ControllerPki;
  /** Whether the host's agent has a stream now (with replicas: on any replica, HostStore.streamOf). */
  connected: (host: string) => boolean | Promise<boolean>;
  /** Ends the host's stream at once; true when one was connected (with replicas: StreamRelay.revoked, on every replica). */
  disconnect: (host: string, reason: string) => boolean | Promise<boolean>;
  /** Takes the host out of every active rollout; returns their ids. */
  leaveRollouts: (host: string) => Promise<string[]>;
  /**
   * Replicas: the leader's address when this replica does not lead (the rollouts a removed
   * host leaves run there: the removal is refused here, naming it), else null.
   */
  notLeader?: () => Promise<{ leader: string | null } | null>;
  log: Logger;
}

/**
 * AdminService.RemoveHost (`virtfleet host remove NAME [--force]`, role admin). Contract:
 * - unknown host: NOT_FOUND (CLI exit 2); a connected host without `force`, or asked of a
 *   follower replica (naming the leader, LEADER_TRAILER: the CLI asks it): FAILED_PRECONDITION
 *   (CLI exit 4), nothing changed;
 * - otherwise, in this order: its certificates are revoked (so it cannot come back without a
 *   new enrolment; none with --insecure), its stream closed, it leaves every active rollout
 *   (a stage waiting for it may advance), and its record is deleted with everything reported
 *   about it (facts, bundle, resource status, drift events): it is in no target list,
 *   compliance view or rollout from then on.
 * With --insecure there is nothing to revoke: an agent still running under that name is a new
 * host when it connects again (stop it first).
 */
export function hostRemoveHandlers(d: HostRemoveDeps): Pick<AdminServiceHandlers, "RemoveHost"> {
  return {
    RemoveHost: async (call, callback) => {
      const { name, force } = call.request;
      const reason = (call.request.reason || "removed from the fleet").slice(0, MAX_REASON_CHARS);
      try {
        if (!HOST_NAME_PATTERN.test(name) || !(await d.hosts.has(name)))
          return callback({
            code: grpc.status.NOT_FOUND,
            details: `unknown host ${JSON.stringify(name.slice(0, 80))}; see \`virtfleet hosts\``,
          });
        const elsewhere = await d.notLeader?.();
        if (elsewhere) {
          const metadata = new grpc.Metadata();
          if (elsewhere.leader) metadata.set(LEADER_TRAILER, elsewhere.leader);
          return callback({
            code: grpc.status.FAILED_PRECONDITION,
            details: elsewhere.leader
              ? `this controller replica is not the leader; remove the host on the leader at ${elsewhere.leader}`
              : "this controller replica is not the leader, and the leader's address is not known yet: try another replica",
            metadata,
          });
        }
        if ((await d.connected(name)) && !force)
          return callback({
            code: grpc.status.FAILED_PRECONDITION,
            details: `host ${name} is connected; stop its agent first, or remove it anyway with --force (its stream is closed and its certificates revoked)`,
          });
        const revoked = d.pki ? await d.pki.revokeHost(name, `host removed: ${reason}`) : 0;
        const disconnected = await d.disconnect(name, `host removed: ${reason}`);
        const rollouts = await d.leaveRollouts(name);
        await d.hosts.remove(name);
        d.log.warn({ host: name, revoked, disconnected, rollouts, reason }, "host removed");
        callback(null, { revoked, disconnected, rollouts });
      } catch (err) {
        d.log.error({ host: name, err: describeError(err) }, "removing the host failed");
        callback({ code: grpc.status.INTERNAL, details: `removing host ${name} failed: ${describeError(err)}` });
      }
    },
  };
}
