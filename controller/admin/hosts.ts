import * as grpc from "@grpc/grpc-js";
import type { AdminServiceHandlers } from "../../generated/proto/fleet/v1/AdminService.js";
import { describeError, emptyInventory, ValidationError, type Inventory, type Logger } from "../../common/index.js";
import type { ComplianceService } from "../compliance/index.js";
import { resolveHost, selectHosts } from "../inventory-view/index.js";
import type { HostConditions, HostLiveState, HostRow, HostStore } from "../hosts/index.js";
import { toHostDetail } from "./host-detail.js";
import { toHostRecord } from "./host-record.js";

export const DEFAULT_HISTORY_LIMIT = 20;
export const MAX_HISTORY_LIMIT = 1_000;

/**
 * Serves AdminService: read-only host views for the CLI, with compliance when `compliance`
 * is given, and groups/labels resolved against `inventory()` (the inventory in force; the
 * empty one — implicit groups only — when not given). ListHosts filters by `group` and
 * `selector`; a bad selector or unknown group is INVALID_ARGUMENT with the message. Other
 * errors become INTERNAL with a message.
 */
export function adminHandlers(
  hosts: HostStore,
  log: Logger,
  compliance?: ComplianceService,
  inventory: () => Inventory = emptyInventory,
  live: (host: string) => HostLiveState | undefined = () => undefined,
  conditions?: HostConditions,
): Pick<AdminServiceHandlers, "ListHosts" | "GetHost"> {
  const fail = (err: unknown, what: string): grpc.ServiceError => {
    log.error({ err: describeError(err) }, `${what} failed`);
    return Object.assign(new Error(`${what} failed: ${describeError(err)}`), {
      code: grpc.status.INTERNAL,
      details: describeError(err),
      metadata: new grpc.Metadata(),
    });
  };
  return {
    ListHosts: async (call, callback) => {
      try {
        const { pageSize, pageToken, group, selector } = call.request;
        if (pageToken.length > 253) throw new ValidationError("page_token is not one this controller gave out");
        const page = await hostPage(
          hosts,
          pageToken,
          Math.min(pageSize || DEFAULT_HOSTS_PAGE, MAX_HOSTS_PAGE),
          (rows) => selectHosts(rows, inventory(), { group, selector }),
        );
        const summaries = await compliance?.summariesOf(page.hosts.map((h) => h.row.name));
        callback(null, {
          hosts: page.hosts.map((h) =>
            toHostRecord(h.row, summaries?.get(h.row.name), h, live(h.row.name), conditions),
          ),
          nextPageToken: page.next,
        });
      } catch (err) {
        if (err instanceof ValidationError) callback({ code: grpc.status.INVALID_ARGUMENT, details: err.message });
        else callback(fail(err, "listing hosts"));
      }
    },
    GetHost: async (call, callback) => {
      try {
        const name = call.request.name;
        const host = await hosts.get(name);
        if (!host) {
          callback({ code: grpc.status.NOT_FOUND, details: `host "${name}" is not enrolled (see virtfleet hosts)` });
          return;
        }
        const limit = Math.min(call.request.historyLimit || DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT);
        const factHistory = (await hosts.factHistory(name, limit)).map((c) => ({
          changedAt: new Date(c.changedAt).toISOString(),
          factsFingerprint: c.factsFingerprint,
          changedSections: c.changedSections,
        }));
        const detail = compliance ? await toHostDetail(compliance, name) : undefined;
        callback(null, {
          host: toHostRecord(host, detail?.summary, resolveHost(host, inventory()), live(host.name), conditions),
          factHistory,
          ...detail?.fields,
        });
      } catch (err) {
        callback(fail(err, "reading host"));
      }
    },
  };
}

/** Hosts per ListHosts page unless asked for fewer; a page also ends after PAGE_BYTES of facts. */
export const DEFAULT_HOSTS_PAGE = 1_000;
const MAX_HOSTS_PAGE = 5_000;
const PAGE_BYTES = 2 * 1024 * 1024;
/** Rows read from the store at a time while filling a page. */
const READ_CHUNK = 500;

/**
 * One page of the hosts `select` keeps, by name, after `after`: at most `limit`, and no more
 * than about PAGE_BYTES of facts (at least one host). `next` is the last host's name, or ""
 * when no host follows.
 */
async function hostPage<T extends { row: HostRow }>(
  hosts: HostStore,
  after: string,
  limit: number,
  select: (rows: HostRow[]) => T[],
): Promise<{ hosts: T[]; next: string }> {
  const out: T[] = [];
  let bytes = 0;
  for (;;) {
    const rows = await hosts.listAfter(after, READ_CHUNK);
    for (const h of select(rows)) {
      if (out.length >= limit || (out.length > 0 && bytes >= PAGE_BYTES))
        return { hosts: out, next: out.at(-1)!.row.name };
      out.push(h);
      bytes += h.row.factsJson.length;
    }
    if (rows.length < READ_CHUNK) return { hosts: out, next: "" };
    after = rows.at(-1)!.name;
  }
}
