import * as grpc from "@grpc/grpc-js";
import type { AdminServiceHandlers } from "../../generated/proto/fleet/v1/AdminService.js";
import { describeError, NotFoundError, ValidationError, type Inventory, type Logger } from "../../common/index.js";
import { sendResync, type AgentService, type StreamRelay } from "../agents/index.js";
import type { HostRow, HostStore } from "../hosts/index.js";
import { selectHosts } from "../inventory-view/index.js";

export interface ResyncAdminDeps {
  hosts: HostStore;
  agents: AgentService;
  /** The inventory in force (groups and labels for `selector`). */
  inventory: () => Inventory;
  /**
   * Replicas: a host whose stream another replica holds is sent the command through it
   * (counted as sent). Absent: only streams held here.
   */
  relay?: Pick<StreamRelay, "resyncMany">;
  log: Logger;
}

/** At most this many host names in one request. */
export const MAX_RESYNC_HOSTS = 10_000;

/** Sends Command.resync to `host` when its agent is connected (true), else nothing (false). Also the dashboard's "Re-check now". */
export function resyncHost(agents: AgentService, host: string): boolean {
  return sendResync(agents, host);
}

/**
 * Resync: sends Command.resync (the agent re-checks its whole bundle at once and reports) to
 * each targeted host that is connected; lists the others as not connected. Targets: host
 * names (each must be enrolled: the first unknown one is NOT_FOUND, and nothing is sent), or
 * every enrolled host (`all`), or those matching `selector` (a bad selector is
 * INVALID_ARGUMENT). Exactly one kind of target.
 */
export function resyncAdminHandlers(deps: ResyncAdminDeps): Pick<AdminServiceHandlers, "Resync"> {
  const { hosts, agents, inventory, log } = deps;
  return {
    Resync: async (call, callback) => {
      try {
        const { all, selector } = call.request;
        const names = call.request.hosts;
        const kinds = [names.length > 0, all, selector !== ""].filter(Boolean).length;
        if (kinds !== 1)
          throw new ValidationError(
            "name the hosts to re-check, or ask for all of them, or give a selector (one of the three)",
          );
        if (names.length > MAX_RESYNC_HOSTS) throw new ValidationError(`at most ${MAX_RESYNC_HOSTS} hosts per request`);
        let targets: string[];
        if (names.length > 0) {
          for (const name of names)
            if (!(await hosts.get(name)))
              throw new NotFoundError(`host "${name}" is not enrolled (see virtfleet hosts)`);
          targets = [...new Set(names)];
        } else {
          const rows: HostRow[] = await hosts.list();
          targets = (all ? rows : selectHosts(rows, inventory(), { selector }).map((h) => h.row)).map((r) => r.name);
        }
        const sent: string[] = [];
        const notConnected: string[] = [];
        if (deps.relay) {
          // Forwarded to the replica holding the stream counts as sent; the targets' order is kept.
          const missing = new Set((await deps.relay.resyncMany(targets)).notConnected);
          for (const host of targets) (missing.has(host) ? notConnected : sent).push(host);
        } else for (const host of targets) (resyncHost(agents, host) ? sent : notConnected).push(host);
        log.info({ sent: sent.length, notConnected: notConnected.length }, "resync sent to hosts");
        callback(null, { sent, notConnected });
      } catch (err) {
        const code =
          err instanceof ValidationError
            ? grpc.status.INVALID_ARGUMENT
            : err instanceof NotFoundError
              ? grpc.status.NOT_FOUND
              : grpc.status.INTERNAL;
        if (code === grpc.status.INTERNAL) log.error({ err: describeError(err) }, "resync failed");
        callback({ code, details: describeError(err) });
      }
    },
  };
}
