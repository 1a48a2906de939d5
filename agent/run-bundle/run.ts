import type { EventLog } from "../../common/event-log.js";
import {
  CheckOnly,
  converge,
  DEFAULT_ENGINE_OPTIONS,
  resourceId,
  type EngineEvent,
  type EngineOptions,
  type EngineReport,
  type Resource,
  type ResourceId,
  type ResourceReport,
} from "../../engine/index.js";
import type { Hypervisor } from "../../libvirt/index.js";
import {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  detectDomainEnv,
  rollbackResources,
  type DomainHostEnv,
  type HostNetworkRuntime,
  type OwnershipScope,
  type ProgressReporter,
} from "../../kinds/index.js";
import { checkOnlyReason, isTransientFor, type RunMode, type RunOrigin } from "./decisions.js";
import { DetectBeforeRepair } from "./detect-before-repair.js";
import { withBoundHost, type PreparedBundle } from "./prepare.js";

/** Where a bundle runs: this host's libvirt connection and environment. */
export interface RunHost {
  hv: Hypervisor;
  log: EventLog;
  /** How guests are defined here; default: detected once per process (detectDomainEnv). */
  domainEnv?: DomainHostEnv;
  /** Graceful guest shutdown before forcing it off (default DEFAULT_SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs?: number;
  /** Progress of long steps (volume imports), throttled by the resources. */
  progress?: ProgressReporter;
  /** A volume import fails when no byte arrives for this long (default: the resources' own). */
  importIdleTimeoutMs?: number;
  /** Ownership records and the bundle's revisions (kinds/ownership); absent: no agent state (`apply --local`). */
  ownership?: OwnershipScope;
  /** Host networking: persistent-config folder and the uplink guard (absent: detected folder, no uplink protected). */
  hostNetwork?: HostNetworkRuntime;
  /** This host's fleet name, for errors that only the host can tell (default: the machine's host name). */
  hostName?: string;
}

/** The engine's tuning a caller may set; what is retried is not among it (isTransientFor). */
export type EngineTuning = Partial<Pick<EngineOptions, "concurrency" | "timeoutMs" | "retries" | "retryBackoff">>;

export interface RunBundleOptions {
  mode: RunMode;
  origin: RunOrigin;
  host: RunHost;
  /** The resources to run, by id (a request carries only identity); default every one. Ids not in the bundle are ignored. */
  only?: Iterable<ResourceId>;
  /** Enforce runs: resources the caller holds (the flap guard) are only checked. */
  isHeld?: (id: ResourceId) => boolean;
  /**
   * Enforce runs: of these, the ones the run would repair are first checked without change
   * and the reports handed to `onDetected` before any repair starts (drift noticed by an
   * event is known before a repair that may take a while).
   */
  detectFirst?: Iterable<ResourceId>;
  /** Return false to abandon the run there (nothing is repaired; the result is `abandoned`). */
  onDetected?: (reports: readonly ResourceReport[]) => boolean;
  /**
   * Enforce runs: called for each resource the run is about to change, with its differences
   * (a `drift` report), before it changes anything (DetectBeforeRepair); the engine's `done`
   * event then tells what was applied. For a write-ahead record of each change.
   */
  beforeRepair?: (check: ResourceReport) => void;
  engine?: EngineTuning;
  signal?: AbortSignal;
  /** The engine's progress events (start, retry, done); retries are also logged here. */
  onEvent?: (e: EngineEvent) => void;
}

/** What one run did. */
export interface BundleRun {
  /** The engine's report over the resources run (dryRun true for a dry-run); the detection check's when `abandoned`. */
  report: EngineReport;
  /** Resources only checked because the caller held them (never audit-mode ones). */
  held: ReadonlySet<ResourceId>;
  /**
   * The libvirt connection was replaced, or was not ready, by the end of the run: the results
   * may describe a daemon that went away mid-run. The agent discards them (the re-check after
   * the reconnect replaces them); `apply --local` prints them as they are.
   */
  interrupted: boolean;
  /** `onDetected` returned false: nothing was repaired. */
  abandoned: boolean;
}

/**
 * Runs a prepared bundle through the engine on this host: the one path the enforcer, the
 * planner (fleet dry-run) and `virtfleet apply --local` share.
 * Contract:
 * - what may change is decided here only (checkOnlyReason): a dry-run wraps every resource in
 *   CheckOnly and runs the engine without apply; an enforce run wraps audit-mode policies'
 *   resources and held ones, and applies the rest;
 * - what is retried is decided here only (isTransientFor(origin)); every retry is logged;
 * - the bundle's resources are bound to `host` for the length of the run (one run at a time
 *   per prepared bundle) and are not rebuilt;
 * - the engine's contract holds (dependency order, verify after apply, failures never stop
 *   unrelated resources); rejects only when the bundle is already running (BUSY), did not
 *   come from prepareBundle, or the engine itself fails — never for a resource's failure.
 */
export async function runBundle(bundle: PreparedBundle, o: RunBundleOptions): Promise<BundleRun> {
  const only = o.only ? new Set(o.only) : null;
  const selected = only ? bundle.resources.filter((r) => only.has(resourceId(r.kind, r.name))) : bundle.resources;
  const modeOf = new Map(bundle.policies.map((p) => [p.name, p.mode]));
  const held = new Set<ResourceId>();
  const repairable = new Set<Resource>();
  const resources = selected.map((r) => {
    const id = resourceId(r.kind, r.name);
    const policyMode = r.audit === true ? "audit" : (modeOf.get(r.policy) ?? "enforce");
    const why = checkOnlyReason(o.mode, policyMode, () => o.isHeld?.(id) ?? false);
    if (why === "held") held.add(id);
    if (why === null) {
      repairable.add(r);
      return r;
    }
    return r.audit === true ? r : new CheckOnly(r);
  });
  const log = o.host.log;
  const hv = o.host.hv;
  // What rolled-back revisions created or adopted, undone (kinds/ownership/reclaim.ts): changed
  // in enforce runs, shown in dry-runs.
  if (o.host.ownership) {
    const declared = new Set(bundle.ids);
    const ctx = {
      hv,
      log,
      shutdownTimeoutMs: o.host.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
      ownership: o.host.ownership,
    };
    for (const r of rollbackResources(o.host.ownership, declared, ctx)) {
      if (o.mode === "enforce") {
        repairable.add(r);
        resources.push(r);
      } else resources.push(new CheckOnly(r));
    }
  }
  const engine: EngineOptions = {
    ...DEFAULT_ENGINE_OPTIONS,
    ...o.engine,
    apply: o.mode === "enforce",
    isTransient: isTransientFor(o.origin),
    signal: o.signal,
    onEvent: (e) => {
      if (e.type === "retry")
        log.warn(
          { resource: e.id, attempt: e.attempt, error: e.error, delayMs: e.delayMs },
          "retrying after a transient error",
        );
      o.onEvent?.(e);
    },
  };
  const bound = {
    hv,
    log,
    domainEnv: o.host.domainEnv ?? (await hostDomainEnv()),
    shutdownTimeoutMs: o.host.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
    progress: o.host.progress,
    importIdleTimeoutMs: o.host.importIdleTimeoutMs,
    ownership: o.host.ownership,
    hostNetwork: o.host.hostNetwork,
    hostName: o.host.hostName,
  };
  return withBoundHost(bundle, bound, async () => {
    const connAtStart = connMark(hv);
    const interrupted = () => {
      const now = connMark(hv);
      return now !== connAtStart || !now.endsWith(":ready");
    };
    if (o.mode === "enforce" && o.detectFirst) {
      const first = new Set(o.detectFirst);
      const watched = resources.filter((r) => repairable.has(r) && first.has(resourceId(r.kind, r.name)));
      if (watched.length > 0) {
        const check = await converge(
          watched.map((r) => new CheckOnly(r)),
          { ...engine, apply: false },
        );
        if (o.onDetected?.(check.resources) === false)
          return { report: check, held, interrupted: interrupted(), abandoned: true };
      }
    }
    const before = o.beforeRepair;
    const run =
      o.mode === "enforce" && before
        ? resources.map((r) => (repairable.has(r) ? new DetectBeforeRepair(r, before) : r))
        : resources;
    const report = await converge(run, engine);
    return { report, held, interrupted: interrupted(), abandoned: false };
  });
}

let detected: Promise<DomainHostEnv> | undefined;

/** This host's domain environment, detected once per process (it does not change while we run). */
function hostDomainEnv(): Promise<DomainHostEnv> {
  detected ??= detectDomainEnv().catch((err: unknown) => {
    detected = undefined;
    throw err;
  });
  return detected;
}

/** "generation:state" of the libvirt connection (fakes without one count as always ready). */
function connMark(hv: Hypervisor): string {
  const c = (hv as Partial<Hypervisor>).connection;
  return `${c?.generation ?? 0}:${c?.state ?? "ready"}`;
}
