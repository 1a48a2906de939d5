import { ownershipScope, type OwnershipLedger } from "../../kinds/ownership/index.js";
import { describeError } from "../../common/errors.js";
import type { Logger } from "../../common/logging.js";
import { parseBundle } from "../enforce/bundle.js";
import { outcomeOf, type OutcomeRecord } from "../enforce/report.js";
import type { Hypervisor } from "../../libvirt/index.js";
import type { DomainHostEnv, HostNetworkRuntime } from "../../kinds/index.js";
import { runBundle, type EngineTuning, type ResourceBuilder } from "../run-bundle/index.js";

/** The answer to one Command.plan (proto PlanResult). */
export interface PlanRecord {
  commandId: string;
  /** The requested bundle's revision, echoed ("" when it had none usable). */
  bundleRevision: string;
  /** Dry-run outcomes (ok | drift | failed | skipped), encoded as Report's; empty when `error` is set. */
  resources: OutcomeRecord[];
  /** Set when the bundle could not be planned at all; then `resources` is empty. */
  error: string;
  durationMs: number;
}

export interface PlannerOptions {
  /** The libvirt connection (LibvirtSession.get); may reject while libvirtd is down. */
  hypervisor: () => Promise<Hypervisor>;
  log: Logger;
  /** Plans waiting behind the running one, at most; beyond that a request is answered with an error at once. */
  maxQueued?: number;
  engine?: EngineTuning;
  /** Default: detected at the first plan (runBundle). */
  domainEnv?: DomainHostEnv;
  /** Default: the declared resources (runBundle applies audit mode); called once per plan. */
  buildResources?: ResourceBuilder;
  /** Ownership records (read only: a plan shows conflicts and adoptions, records nothing). */
  ownership?: OwnershipLedger;
  /** Host networking: persistent-config folder and the uplink guard (a plan shows a blocked uplink change). */
  /** This host's fleet name, for errors that name the host. */
  hostName?: string;
  hostNetwork?: HostNetworkRuntime;
  /** Largest JSON size of a result; a larger one is answered with an error instead (default 2 MiB, under the gRPC limit). */
  maxResultBytes?: number;
  now?: () => number;
}

export const DEFAULT_MAX_QUEUED_PLANS = 3;
export const DEFAULT_MAX_PLAN_RESULT_BYTES = 2 * 1024 * 1024;
const MAX_ECHOED_REVISION_CHARS = 256;
const MAX_ERROR_CHARS = 2_000;

/**
 * Dry-runs bundles the controller asks about (Command.plan), the way `apply --local
 * --dry-run` does: parseBundle (which builds the resources once), then runBundle in
 * `dry-run` mode (every resource wrapped in CheckOnly, the engine without apply, so nothing
 * can be changed even by mistake).
 * Contract:
 * - shares nothing with the Enforcer but the libvirt connection: the enforced bundle, its
 *   cache, drift tracking, flap guard and outbox are untouched (a plan may run while an
 *   enforcement run does; the plan only reads libvirt);
 * - one plan at a time; up to `maxQueued` more wait in order; beyond that, and after
 *   `stop()`, a request is answered at once with an error;
 * - `plan()` never rejects: an invalid bundle, an unreachable libvirt or a connection that
 *   dropped during the plan is answered with `error` set and no resources.
 */
export class Planner {
  private tail: Promise<unknown> = Promise.resolve();
  /** Plans running or queued. */
  private inFlight = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly now: () => number;

  constructor(private readonly o: PlannerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Plans running or waiting. */
  get pending(): number {
    return this.inFlight;
  }

  /** Dry-runs `bundle` (a PolicyBundle as received) and resolves with the answer to send. */
  plan(commandId: string, bundle: unknown): Promise<PlanRecord> {
    const revision = echoedRevision(bundle);
    if (this.stopped) return Promise.resolve(failed(commandId, revision, "the agent is stopping", 0));
    if (this.inFlight > (this.o.maxQueued ?? DEFAULT_MAX_QUEUED_PLANS)) {
      this.o.log.warn({ command: commandId, inFlight: this.inFlight }, "plan refused: too many plans queued");
      return Promise.resolve(failed(commandId, revision, "too many plans queued on this host", 0));
    }
    this.inFlight += 1;
    const run = this.tail.then(() => this.runSafely(commandId, revision, bundle)).finally(() => (this.inFlight -= 1));
    this.tail = run;
    return run;
  }

  /** Aborts the running plan (it answers with an error) and refuses new ones; waits for the queue to empty. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.tail;
  }

  private async runSafely(commandId: string, revision: string, bundle: unknown): Promise<PlanRecord> {
    const started = this.now();
    let record: PlanRecord;
    try {
      record = this.stopped
        ? failed(commandId, revision, "the agent is stopping", 0)
        : await this.run(commandId, revision, bundle, started);
    } catch (err) {
      record = failed(commandId, revision, `plan failed: ${describeError(err)}`, this.now() - started);
    }
    const max = this.o.maxResultBytes ?? DEFAULT_MAX_PLAN_RESULT_BYTES;
    const size = Buffer.byteLength(JSON.stringify(record), "utf8");
    if (size > max)
      record = failed(
        commandId,
        revision,
        `plan result too large to send (${size} bytes, at most ${max})`,
        record.durationMs,
      );
    this.o.log.info(
      {
        command: commandId,
        revision,
        resources: record.resources.length,
        error: record.error || undefined,
        durationMs: record.durationMs,
      },
      "plan done",
    );
    return record;
  }

  private async run(commandId: string, revision: string, input: unknown, started: number): Promise<PlanRecord> {
    let bundle;
    try {
      bundle = parseBundle(input, { build: this.o.buildResources });
    } catch (err) {
      return failed(commandId, revision, `invalid bundle: ${describeError(err)}`, this.now() - started);
    }
    let hv: Hypervisor;
    try {
      hv = await this.o.hypervisor();
    } catch (err) {
      return failed(commandId, revision, `libvirt unreachable: ${describeError(err)}`, this.now() - started);
    }
    const run = await runBundle(bundle.prepared, {
      mode: "dry-run",
      origin: "agent",
      host: {
        hv,
        log: this.o.log,
        domainEnv: this.o.domainEnv,
        ownership: this.o.ownership && ownershipScope(this.o.ownership, bundle.wire.policies, bundle.rolledBack),
        hostNetwork: this.o.hostNetwork,
        hostName: this.o.hostName,
      },
      engine: this.o.engine,
      signal: this.abort.signal,
    });
    const durationMs = Math.max(0, this.now() - started);
    if (this.stopped) return failed(commandId, revision, "the agent is stopping", durationMs);
    if (run.interrupted)
      return failed(commandId, revision, "the libvirt connection dropped during the plan; ask again", durationMs);
    return {
      commandId,
      bundleRevision: bundle.revision,
      resources: run.report.resources.map(outcomeOf),
      error: "",
      durationMs,
    };
  }
}

function failed(commandId: string, bundleRevision: string, error: string, durationMs: number): PlanRecord {
  const clipped = error.length > MAX_ERROR_CHARS ? `${error.slice(0, MAX_ERROR_CHARS - 1)}…` : error;
  return { commandId, bundleRevision, resources: [], error: clipped, durationMs: Math.max(0, durationMs) };
}

/** The request's revision as given, when it is a string short enough to send back; else "". */
function echoedRevision(bundle: unknown): string {
  const r = bundle !== null && typeof bundle === "object" ? (bundle as { revision?: unknown }).revision : undefined;
  return typeof r === "string" && r.length <= MAX_ECHOED_REVISION_CHARS ? r : "";
}
