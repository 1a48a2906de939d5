import * as grpc from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import type { AdminServiceHandlers } from "../../generated/proto/fleet/v1/AdminService.js";
import type { DriftRecord } from "../../generated/proto/fleet/v1/DriftRecord.js";
import { describeError, NotFoundError, ValidationError, type Logger } from "../../common/index.js";
import type { AgentService } from "../agents/index.js";
import type { ComplianceService } from "../compliance/index.js";
import type { DriftView } from "../agent-messages/index.js";
import { driftStateToRecord, encodeCompliance } from "../../common/wire/index.js";
import type { DriftFeed, EventStore } from "../ingest/index.js";
import type { HostStore } from "../hosts/index.js";
import { KIND_NAMES } from "../../kinds/names.js";

export const DEFAULT_DRIFT_LIMIT = 1_000;
export const MAX_DRIFT_LIMIT = 10_000;
/** A watcher this many messages behind is cut off (RESOURCE_EXHAUSTED) rather than buffered without bound. */
export const WATCH_MAX_BUFFERED = 10_000;

const RESOURCE = new RegExp(`^(${KIND_NAMES.join("|")})/[^\\s/][^\\s]{0,252}$`);

export interface DriftAdminDeps {
  hosts: HostStore;
  events: EventStore;
  feed: DriftFeed;
  agents: AgentService;
  compliance: ComplianceService;
  log: Logger;
}

type Handlers = Pick<AdminServiceHandlers, "ListDrift" | "WatchDrift" | "Compliance" | "AcknowledgeFlap">;
type WatchCall = Parameters<Handlers["WatchDrift"]>[0];

/** The admin API's record of a stored drift state (common/wire/drift.ts, the one drift mapper). */
export function toDriftRecord(d: DriftView): DriftRecord {
  return driftStateToRecord(d);
}

function parseTime(value: string, field: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new ValidationError(`${field} "${value}" is not an ISO 8601 time`);
  return t;
}

function status(err: unknown): Partial<grpc.StatusObject> {
  const code =
    err instanceof ValidationError
      ? grpc.status.INVALID_ARGUMENT
      : err instanceof NotFoundError
        ? grpc.status.NOT_FOUND
        : grpc.status.INTERNAL;
  return { code, details: describeError(err) };
}

/**
 * Admin handlers for drift (list, live watch), compliance and flap acknowledgement.
 * `close()` ends every open watch (controller shutdown) so draining does not wait for them.
 */
export class DriftAdmin {
  private readonly watches = new Set<() => void>();

  constructor(private readonly deps: DriftAdminDeps) {}

  close(): void {
    for (const end of [...this.watches]) end();
  }

  handlers(): Handlers {
    const { hosts, events, agents, compliance, log } = this.deps;
    const fail = (err: unknown, what: string) => {
      const s = status(err);
      if (s.code === grpc.status.INTERNAL) log.error({ err: describeError(err) }, `${what} failed`);
      return { ...s, details: `${what}: ${s.details}` };
    };
    /** Unknown host names are NOT_FOUND (the CLI exits 2 naming them), never an empty answer. */
    const knownHost = async (host: string) => {
      if (!(await hosts.get(host))) throw new NotFoundError(`host "${host}" is not enrolled (see virtfleet hosts)`);
    };
    return {
      ListDrift: async (call, callback) => {
        try {
          const r = call.request;
          const limit = Math.min(r.limit || DEFAULT_DRIFT_LIMIT, MAX_DRIFT_LIMIT);
          const since = r.since ? parseTime(r.since, "since") : undefined;
          if (r.host) await knownHost(r.host);
          callback(null, {
            events: (await events.listDrift({ host: r.host || undefined, since, limit })).map(toDriftRecord),
          });
        } catch (err) {
          callback(fail(err, "listing drift"));
        }
      },
      WatchDrift: (call) => {
        const host = call.request.host || undefined;
        if (host === undefined) return this.watch(call, undefined);
        knownHost(host).then(
          () => {
            if (!call.cancelled) this.watch(call, host);
          },
          (err: unknown) => call.emit("error", fail(err, "watching drift")),
        );
      },
      Compliance: async (call, callback) => {
        try {
          const at = call.request.at;
          const report = at ? await compliance.reportAt(parseTime(at, "at")) : await compliance.current();
          callback(null, { report: encodeCompliance(report) });
        } catch (err) {
          callback(fail(err, "compliance"));
        }
      },
      AcknowledgeFlap: async (call, callback) => {
        try {
          const { host, resource } = call.request;
          if (resource !== "" && !RESOURCE.test(resource))
            throw new ValidationError(
              `resource "${resource}" must be KIND/NAME (kind: ${KIND_NAMES.join("|")}), or empty for all`,
            );
          await knownHost(host);
          const session = agents.session(host);
          if (!session || session.closed) {
            callback(null, { delivered: false });
            return;
          }
          const id = randomUUID();
          session.send({ command: { id, acknowledgeFlap: { resource } } });
          log.info({ host, resource: resource || "(all)", command: id }, "flap acknowledgement sent to host");
          callback(null, { delivered: true });
        } catch (err) {
          callback(fail(err, "acknowledging flap"));
        }
      },
    };
  }

  /** Streams `host`'s drift events (all hosts: undefined) to `call` until it ends or close(). */
  private watch(call: WatchCall, host: string | undefined): void {
    const { feed, log } = this.deps;
    let done = false;
    const end = (code = grpc.status.OK, details = "") => {
      if (done) return;
      done = true;
      unsubscribe();
      this.watches.delete(endOk);
      if (code === grpc.status.OK) call.end();
      else call.emit("error", { code, details });
    };
    const endOk = () => end();
    const unsubscribe = feed.subscribe(host, (d) => {
      if (done) return;
      if (call.writableLength > WATCH_MAX_BUFFERED) {
        log.warn({ host }, "drift watcher is not reading; closing it");
        end(grpc.status.RESOURCE_EXHAUSTED, `watcher fell more than ${WATCH_MAX_BUFFERED} events behind`);
        return;
      }
      try {
        call.write(toDriftRecord(d));
      } catch (err) {
        log.error({ host, err: describeError(err) }, "cannot render a drift event for a watcher; ending its stream");
        end(grpc.status.INTERNAL, "a drift event could not be rendered; reconnect");
      }
    });
    this.watches.add(endOk);
    call.on("cancelled", () => end());
    call.on("close", () => end());
    call.on("error", () => end());
    // Headers now, so the client knows the watch is established before the first event.
    call.sendMetadata(new grpc.Metadata());
  }
}
