import { ownershipScope, type OwnershipLedger } from "../../kinds/ownership/index.js";
import { describeError } from "../../common/errors.js";
import type { Logger } from "../../common/logging.js";
import { resourceId, type ResourceId, type ResourceReport } from "../../engine/index.js";
import { ALL_EVENT_SOURCES, type Hypervisor, type HypervisorEvent } from "../../libvirt/index.js";
import type { DomainHostEnv, HostNetworkRuntime } from "../../kinds/index.js";
import { runBundle, type EngineTuning, type ResourceBuilder, type ResourceTarget } from "../run-bundle/index.js";
import type { BundleCache, Outbox, StateChange, StateDocs } from "../state/index.js";
import { AutostartWatcher, DEFAULT_WATCHED_DIRS, type AutostartDir } from "./autostart-watch.js";
import { LinkWatcher } from "./link-watch.js";
import { BundleError, parseBundle, type Bundle } from "./bundle.js";
import { Coalescer } from "./coalescer.js";
import { DriftTracker, type DriftRecord, type DriftRunContext } from "./drift.js";
import { eventTargets } from "./event-targets.js";
import { DEFAULT_FLAP, FlapGuard, type FlapOptions, type FlapSnapshot } from "./flap-guard.js";
import { OutcomeBook, reportedOutcome, type ReportRecord } from "./report.js";
import { changedResources } from "./changed-resources.js";
import { DEFAULT_RESYNC_INTERVAL_MS, DEFAULT_RESYNC_JITTER_MS, scheduleResync } from "./resync-schedule.js";
import { PendingRun, type Target, type TriggerName } from "./triggers.js";

/** Where the enforcer keeps its bundle, outbox and state (AgentStore). */
export interface EnforcerStore {
  bundles: BundleCache;
  outbox: Outbox;
  docs: StateDocs;
  /** Writes events, state documents and the bundle in one transaction; holds them when the disk cannot. */
  commit(change: StateChange): { compacted: number; durable: boolean };
}

export interface EnforcerOptions {
  /** The libvirt connection (LibvirtSession.get); may reject while libvirtd is down. */
  hypervisor: () => Promise<Hypervisor>;
  store: EnforcerStore;
  log: Logger;
  /** Periodic full re-check; 0 = none. Must divide a minute, hour or day (resync-schedule.ts). */
  resyncIntervalMs?: number;
  resyncJitterMs?: number;
  flap?: FlapOptions;
  /** Events within this long of the first one are checked in one run. */
  coalesceMs?: number;
  /** libvirt folders to watch (default: the autostart and definition folders); [] = none. */
  autostartDirs?: readonly AutostartDir[];
  /** Subscribe to libvirt events (default true). */
  watchEvents?: boolean;
  shutdownTimeoutMs?: number;
  engine?: EngineTuning;
  /** Default: detected at the first run (runBundle). */
  domainEnv?: DomainHostEnv;
  /** Default: the declared resources (runBundle applies audit mode); called once per bundle. */
  buildResources?: ResourceBuilder;
  /** Ownership records (kinds/ownership); absent: networks, pools and volumes count as owned. */
  ownership?: OwnershipLedger;
  /** Host networking: persistent-config folder and the uplink guard (kinds/host/network/). */
  /** This host's fleet name, for errors that name the host. */
  hostName?: string;
  hostNetwork?: HostNetworkRuntime;
  /** Re-check host networking when `ip monitor link` reports a change (default false). */
  watchHostLinks?: boolean;
  now?: () => number;
}

export const DEFAULT_COALESCE_MS = 30;

/** What one convergence run did (for listeners and tests). */
export interface RunSummary {
  trigger: TriggerName;
  checked: ResourceId[];
  reports: ResourceReport[];
  drift: DriftRecord[];
  report: ReportRecord | null;
}

export type SetBundleResult = { accepted: true; changed: boolean } | { accepted: false; error: string };

const DRIFT_DOC = "open-drift";

const FLAP_DOC = "flap-guard";

/** The revision whose intentional apply has not completed a full run yet (survives a crash). */
const APPLYING_DOC = "applying";

/**
 * Keeps this host converged to its policy bundle.
 *
 * Contract:
 * - Runs the engine at start on the cached bundle (no controller needed), on every new
 *   bundle, on libvirt events and changes in libvirt's autostart and definition folders
 *   (config drift that raises no event) for the affected resources
 *   (coalesced for `coalesceMs`), periodically for everything (resync-schedule.ts), after libvirt's
 *   connection is restored, and on `resync()`.
 * - One run at a time; triggers arriving meanwhile merge into the next run.
 * - Each run is one runBundle call (agent/run-bundle) over the bundle's resources, built once
 *   when the bundle arrives: it repairs enforce-mode resources and only checks audit-mode
 *   ones and those the flap guard holds (which raise one `suppressed` drift event and are
 *   reported `suppressed`; a new revision lifts the guard for the resources it changes); this
 *   class only chooses what to run (the triggers' targets) and records what came of it.
 * - Every drift event and report is appended to the outbox before `onRecorded` listeners
 *   hear of it; nothing here waits for the controller.
 * - A bad bundle is rejected (logged, `setBundle` says why) and the previous one stays.
 * - Results of a run during which the libvirt connection dropped are discarded: the
 *   re-check after the reconnect replaces them (no flood of `failed` events on a restart).
 */
export class Enforcer {
  private bundle: Bundle | undefined;
  private readonly flap: FlapGuard;
  private readonly tracker: DriftTracker;
  private readonly book = new OutcomeBook();
  private readonly coalescer: Coalescer<string>;
  private readonly abort = new AbortController();
  private readonly listeners = new Set<(s: RunSummary) => void>();
  private readonly recordedListeners = new Set<() => void>();
  private pending: PendingRun | null = null;
  private running: Promise<void> | null = null;
  private watcher: AutostartWatcher | undefined;
  private linkWatcher: LinkWatcher | undefined;
  private cronTask: { stop(): void | Promise<void>; destroy(): void | Promise<void> } | undefined;
  private flapTimer: NodeJS.Timeout | undefined;
  private connLosses = 0;
  /** See APPLYING_DOC: runs over this revision are intentional until one full run completes. */
  private applying: string | null;
  private stopped = false;
  private started = false;
  private readonly now: () => number;

  constructor(private readonly o: EnforcerOptions) {
    this.now = o.now ?? Date.now;
    this.flap = new FlapGuard(o.flap ?? DEFAULT_FLAP, o.store.docs.load(FLAP_DOC) as FlapSnapshot | undefined);
    this.tracker = new DriftTracker(o.store.docs.load(DRIFT_DOC) as Record<string, DriftRecord> | undefined);
    const applying = o.store.docs.load(APPLYING_DOC) as { revision?: unknown } | undefined;
    this.applying = typeof applying?.revision === "string" ? applying.revision : null;
    this.coalescer = new Coalescer(o.coalesceMs ?? DEFAULT_COALESCE_MS, (keys) =>
      this.request(
        "event",
        [...keys].map((k) => JSON.parse(k) as Target),
      ),
    );
  }

  /** Revision of the bundle being enforced ("" = none). */
  get revision(): string {
    return this.bundle?.revision ?? "";
  }

  get generation(): number {
    return this.bundle?.generation ?? 0;
  }

  /** Called after each run that checked something, or reported (a full run over an empty bundle). */
  onRun(listener: (s: RunSummary) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called after new entries were appended to the outbox. */
  onRecorded(listener: () => void): () => void {
    this.recordedListeners.add(listener);
    return () => this.recordedListeners.delete(listener);
  }

  /** Loads the cached bundle, starts the watches and the periodic re-check, and converges. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const cached = this.o.store.bundles.load();
    if (cached) {
      try {
        this.bundle = parseBundle(JSON.parse(cached.bundleJson), { build: this.o.buildResources });
        this.o.log.info(
          { revision: this.bundle.revision, generation: this.bundle.generation },
          "enforcing the cached policy bundle",
        );
      } catch (err) {
        this.o.log.error(
          { err: describeError(err) },
          "cached policy bundle is unusable; waiting for one from the controller",
        );
      }
    }
    const dirs = this.o.autostartDirs ?? DEFAULT_WATCHED_DIRS;
    if (dirs.length > 0) {
      this.watcher = new AutostartWatcher(
        dirs,
        (kind, name) =>
          this.noticed(name === null ? { type: "kind", kind } : { type: "id", id: resourceId(kind, name) }),
        this.o.log,
      );
      this.watcher.start();
    }
    if (this.o.watchHostLinks) {
      // a link changed: re-check the bundle's host networking (if it declares any)
      this.linkWatcher = new LinkWatcher(() => {
        for (const name of ["network", "network-audit"]) {
          const id = resourceId("host", name);
          if (this.bundle?.prepared.ids.includes(id)) this.noticed({ type: "id", id });
        }
      }, this.o.log);
      this.linkWatcher.start();
    }
    const interval = this.o.resyncIntervalMs ?? DEFAULT_RESYNC_INTERVAL_MS;
    if (interval > 0)
      this.cronTask = scheduleResync(interval, this.o.resyncJitterMs ?? DEFAULT_RESYNC_JITTER_MS, () =>
        this.request("resync", [{ type: "all" }]),
      );
    this.armFlapTimer();
    // A new bundle whose apply a crash or stop interrupted: finishing it is still the apply.
    if (this.bundle && this.applying === this.bundle.revision && !this.running && !this.pending) {
      this.o.log.info({ revision: this.bundle.revision }, "resuming the interrupted apply of the policy bundle");
      this.request("bundle", [{ type: "all" }]);
    }
    if (this.o.watchEvents === false) this.request("startup", [{ type: "all" }]);
    else void this.watchLibvirt();
  }

  /**
   * Takes a bundle from the controller (PolicyBundle). A valid new revision is cached and
   * converged (trigger "bundle"); the same revision at another generation is re-checked
   * so that a Report carries the new generation; an invalid
   * one is rejected and the current bundle stays in force.
   */
  setBundle(input: unknown): SetBundleResult {
    let b: Bundle;
    try {
      b = parseBundle(input, { build: this.o.buildResources });
    } catch (err) {
      const error = describeError(err);
      this.o.log.error(
        { err: error, enforcing: this.revision || null },
        "rejected policy bundle; the previous one stays in force",
      );
      return { accepted: false, error: err instanceof BundleError ? error : `unexpected: ${error}` };
    }
    const cached = { revision: b.revision, generation: b.generation, bundleJson: JSON.stringify(b.wire) };
    if (this.bundle?.revision === b.revision) {
      if (this.bundle.generation !== b.generation) {
        this.o.store.commit({ bundle: cached });
        this.bundle = b;
        // The controller waits for a Report of this generation (observedGeneration, rollout stages).
        this.request("bundle", [{ type: "all" }]);
      }
      return { accepted: true, changed: false };
    }
    const before = this.bundle;
    this.bundle = b;
    this.applying = b.revision;
    const ids = new Set(b.resourceIds);
    this.flap.retain(ids);
    // An intentional change is not flapping: what the new revision changes is applied, held or not.
    const lifted = changedResources(before?.prepared, b.prepared).flatMap((id) => this.flap.acknowledge(id));
    if (lifted.length > 0) this.o.log.info({ resources: lifted }, "flap guard lifted: the new revision changes them");
    this.armFlapTimer();
    this.book.retain(b.resourceIds);
    const dropped = this.tracker.retain(ids, this.now());
    // the bundle, the mark that its apply has begun, the state and the events: one transaction
    this.record([], dropped, { bundle: cached });
    this.o.log.info(
      { revision: b.revision, generation: b.generation, policies: b.policies.map((p) => p.name) },
      "new policy bundle",
    );
    this.request("bundle", [{ type: "all" }]);
    return { accepted: true, changed: true };
  }

  /** Re-checks everything now (operator Command.resync). */
  resync(): void {
    this.request("resync", [{ type: "all" }]);
  }

  /** Lifts the flap guard for "kind/name", or for all resources when empty, and re-checks them. */
  acknowledgeFlap(resource: string): ResourceId[] {
    const ids = this.flap.acknowledge(resource);
    this.o.store.commit({ docs: this.stateDocs() });
    this.armFlapTimer();
    this.o.log.info({ resource: resource || "(all)", released: ids }, "flap guard acknowledged");
    if (ids.length > 0)
      this.request(
        "resync",
        ids.map((id) => ({ type: "id", id }) as const),
      );
    return ids;
  }

  /** Resolves when no run is running or pending and no event is waiting to be coalesced. */
  async idle(): Promise<void> {
    while (this.running || this.pending || this.coalescer.pending > 0) {
      await (this.running ?? new Promise((r) => setTimeout(r, 5)));
    }
  }

  /** Stops watching and scheduling; aborts a run in progress and waits for it to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.coalescer.cancel();
    this.watcher?.close();
    this.linkWatcher?.close();
    clearTimeout(this.flapTimer);
    await this.cronTask?.destroy();
    await this.running?.catch(() => undefined);
  }

  private noticed(t: Target): void {
    if (this.stopped) return;
    this.coalescer.add(JSON.stringify(t));
  }

  private onHypervisorEvent(e: HypervisorEvent): void {
    if (e.kind === "connection") {
      if (e.state === "lost") {
        this.connLosses += 1;
        this.o.log.warn("libvirt connection lost; enforcement paused until it is restored");
        return;
      }
      this.o.log.info("libvirt connection restored; re-checking everything");
    }
    const { targets, resync } = eventTargets(e);
    if (resync) this.request("resync", targets);
    else for (const t of targets) this.noticed(t);
  }

  /** Subscribes to libvirt events (retrying while libvirtd is unreachable); each (re)subscription is followed by a full check. */
  private async watchLibvirt(): Promise<void> {
    let first = true;
    let failures = 0;
    while (!this.stopped) {
      try {
        const hv = await this.o.hypervisor();
        const sub = hv.events(this.abort.signal, { sources: ALL_EVENT_SOURCES });
        await sub.ready;
        failures = 0;
        this.request(first ? "startup" : "resync", [{ type: "all" }]);
        first = false;
        for await (const e of sub) this.onHypervisorEvent(e);
      } catch (err) {
        if (this.stopped) return;
        failures += 1;
        if (failures === 1) this.o.log.warn({ err: describeError(err) }, "cannot watch libvirt events; retrying");
        if (first && this.bundle && failures === 1) this.request("startup", [{ type: "all" }]);
      }
      if (this.stopped) return;
      await this.sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
    }
  }

  /** Waits `ms` or until the enforcer stops; leaves no listener behind either way. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.abort.signal;
      const onAbort = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      t.unref();
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private request(reason: TriggerName, targets: readonly Target[]): void {
    if (this.stopped) return;
    (this.pending ??= new PendingRun()).add(reason, targets);
    this.kick();
  }

  private kick(): void {
    if (this.running || !this.pending || this.stopped) return;
    this.running = (async () => {
      while (this.pending && !this.stopped) {
        const p = this.pending;
        this.pending = null;
        try {
          await this.runOnce(p);
        } catch (err) {
          this.o.log.error({ err: describeError(err), trigger: p.trigger }, "enforcement run failed");
        }
      }
    })().finally(() => {
      this.running = null;
      this.kick();
    });
  }

  private async runOnce(p: PendingRun): Promise<void> {
    const bundle = this.bundle;
    if (!bundle) return;
    let hv: Hypervisor;
    try {
      hv = await this.o.hypervisor();
    } catch (err) {
      this.o.log.warn(
        { err: describeError(err), trigger: p.trigger },
        "libvirt unreachable; enforcement run skipped until it is back",
      );
      return;
    }
    const how = (t: ResourceTarget): "event" | "resync" | null => {
      if (p.selects(t.id, t.kind)) return p.sourceOf(t.id, t.kind) === "event" ? "event" : "resync";
      if (t.kind === "volume") {
        const poolHow = p.ids.get(resourceId("pool", t.name.split("/")[0]!));
        if (poolHow) return poolHow;
      }
      return null;
    };
    const selected = bundle.prepared.targets.filter((t) => how(t) !== null);
    const startedAt = this.now();
    // A full run of a bundle naming rolled-back revisions runs even with nothing selected: what those revisions
    // created is removed (kinds/ownership), also when the rolled-back policy was the host's only one.
    if (selected.length === 0 && !(p.full && bundle.rolledBack.length > 0)) {
      // a full run over an empty bundle still reports, or the controller shows the host pending forever
      if (!p.full) return;
      const report: ReportRecord = {
        generation: bundle.generation,
        bundleRevision: bundle.revision,
        trigger: p.trigger,
        startedAtMs: startedAt,
        durationMs: 0,
        dryRun: false,
        resources: this.book.all(),
      };
      this.record([report], []);
      for (const l of this.listeners) l({ trigger: p.trigger, checked: [], reports: [], drift: [], report });
      return;
    }
    const losses = this.connLosses;
    // Intentional: the run applies a new bundle, or finishes an apply a crash interrupted.
    const intentional = p.intentional || this.applying === bundle.revision;
    const sourceOf = (r: ResourceReport) => {
      if (intentional) return "apply";
      return how({ id: resourceId(r.kind, r.name), kind: r.kind, name: r.name }) === "event" ? "event" : "resync";
    };
    const ctx = (now: number): DriftRunContext => ({ now, intentional, sourceOf, suppressed: new Map() });
    /** Resources whose change was recorded as it was applied (not derived again after the run). */
    const recorded = new Set<ResourceId>();
    const runDrift: DriftRecord[] = [];
    const run = await runBundle(bundle.prepared, {
      mode: "enforce",
      origin: "agent",
      host: {
        hv,
        log: this.o.log,
        domainEnv: this.o.domainEnv,
        shutdownTimeoutMs: this.o.shutdownTimeoutMs,
        ownership: this.o.ownership && ownershipScope(this.o.ownership, bundle.wire.policies, bundle.rolledBack),
        hostNetwork: this.o.hostNetwork,
        hostName: this.o.hostName,
      },
      only: selected.map((t) => t.id),
      isHeld: (id) => this.flap.isHeld(id, startedAt),
      // Drift noticed by an event is recorded before the repair, which may take a while.
      detectFirst: intentional ? undefined : selected.filter((t) => how(t) === "event").map((t) => t.id),
      onDetected: (check) => {
        if (this.stopped || this.superseded(bundle)) return false;
        const detected = this.tracker.detect(check, ctx(this.now()));
        if (detected.length > 0) this.record([], detected);
        return true;
      },
      // Write-ahead: a change is on record (open, "repair in progress") before it is applied,
      // so a crash between the change and its record cannot lose it; the restart resolves it.
      beforeRepair: (check) => {
        const detected = this.tracker.detect([check], ctx(this.now()));
        if (detected.length > 0) this.record([], detected);
      },
      // Each applied change is recorded as soon as the engine has verified it (one transaction
      // per change, with the drift and flap-guard state), not after the whole run.
      onEvent: (e) => {
        if (e.type !== "done" || e.report.outcome !== "changed") return;
        const id = resourceId(e.report.kind, e.report.name);
        const now = this.now();
        recorded.add(id);
        if (!intentional) this.flap.recordRepair(id, now);
        const d = this.tracker.derive([e.report], ctx(now));
        runDrift.push(...d);
        this.record([], d);
      },
      engine: this.o.engine,
      signal: this.abort.signal,
    });
    if (run.abandoned || this.stopped || this.superseded(bundle)) return;
    // The connection itself is compared (runBundle), not a flag set by "lost" and cleared by "restored":
    // a failed re-registration never sends "restored" (that flag would then discard every run).
    if (run.interrupted || this.connLosses !== losses) {
      this.o.log.info(
        { trigger: p.trigger },
        "libvirt connection dropped during the run; its results are replaced by the re-check after the reconnect",
      );
      return;
    }
    const engine = run.report;
    const held = run.held;
    const now = this.now();
    const suppressed = new Map<ResourceId, string>();
    for (const r of engine.resources) {
      const id = resourceId(r.kind, r.name);
      // not if the hold was lifted during the run (acknowledged, or its window ended)
      if (!held.has(id) || r.outcome !== "drift" || !this.flap.isHeld(id, now)) continue;
      const { until, engagedNow } = this.flap.engage(id, now);
      if (engagedNow)
        this.o.log.warn(
          { resource: id, until: new Date(until).toISOString() },
          "flap guard engaged: resource left alone",
        );
      suppressed.set(id, this.suppressedDetail(until));
    }
    const drift = this.tracker.derive(
      engine.resources.filter((r) => !recorded.has(resourceId(r.kind, r.name))),
      { ...ctx(now), suppressed },
    );
    // repairs were counted for the flap guard as each was applied (onEvent)
    const significant = this.book.update(
      engine.resources.map((r) => reportedOutcome(r, suppressed.has(resourceId(r.kind, r.name)))),
    );
    const report: ReportRecord | null =
      p.full || p.trigger !== "event" || significant
        ? {
            generation: bundle.generation,
            bundleRevision: bundle.revision,
            trigger: p.trigger,
            startedAtMs: startedAt,
            durationMs: Math.max(0, now - startedAt),
            dryRun: false,
            resources: this.book.all(),
          }
        : null;
    // A full run over the bundle completes its apply; later changes are corrective.
    if (p.full && this.applying === bundle.revision) this.applying = null;
    this.record(report ? [report] : [], drift, {}, true);
    this.armFlapTimer();
    const summary: RunSummary = {
      trigger: p.trigger,
      checked: engine.resources.map((r) => resourceId(r.kind, r.name)),
      reports: engine.resources,
      drift: [...runDrift, ...drift],
      report,
    };
    this.o.log.debug(
      { trigger: p.trigger, checked: summary.checked.length, summary: engine.summary, drift: drift.length },
      "enforcement run",
    );
    for (const l of this.listeners) l(summary);
  }

  /** A new bundle arrived during the run: its results are dropped (the queued "bundle" run re-checks everything). */
  private superseded(bundle: Bundle): boolean {
    return this.bundle?.revision !== bundle.revision;
  }

  private suppressedDetail(until: number): string {
    const { threshold, windowMs } = this.flap.options;
    return `repaired ${threshold} times within ${Math.round(windowMs / 1000)} s; not repaired until ${new Date(until).toISOString()} or until acknowledged`;
  }

  /**
   * Appends drift events, then the report, to the outbox with the enforcement state (open
   * drift, flap guard, the apply in progress) and `extra`, in one transaction (AgentStore.commit:
   * held in memory when the disk cannot take it; enforcement goes on); tells listeners.
   * Nothing to record and not `always`: nothing is written.
   */
  private record(reports: ReportRecord[], drift: DriftRecord[], extra: StateChange = {}, always = false): void {
    if (reports.length === 0 && drift.length === 0 && !extra.bundle && !always) return;
    const events = [
      ...drift.map((d) => ({
        type: "drift" as const,
        payloadJson: JSON.stringify(d),
        driftId: d.id,
        resolved: d.resolvedAtMs > 0,
      })),
      ...reports.map((r) => ({ type: "report" as const, payloadJson: JSON.stringify(r) })),
    ];
    const { compacted } = this.o.store.commit({ ...extra, events, docs: { ...extra.docs, ...this.stateDocs() } });
    for (const d of drift)
      this.o.log.info(
        {
          drift: d.id,
          resource: `${d.kind}/${d.name}`,
          remediation: d.remediation,
          resolved: d.resolvedAtMs > 0,
          classification: d.classification,
          source: d.source,
        },
        "drift",
      );
    if (compacted > 0) {
      const s = this.o.store.outbox.stats();
      this.o.log.warn(
        { compacted, compactedTotal: s.compactedTotal, entries: s.entries, bytes: s.bytes },
        "outbox full: oldest superseded reports and resolved drift events compacted",
      );
    }
    if (events.length > 0) for (const l of this.recordedListeners) l();
  }

  /** The enforcement state as StateDocs documents. */
  private stateDocs(): Record<string, unknown> {
    return {
      [DRIFT_DOC]: this.tracker.snapshot(),
      [FLAP_DOC]: this.flap.snapshot(),
      [APPLYING_DOC]: { revision: this.applying },
    };
  }

  /** Wakes up when the earliest flap-guard engagement ends, to re-check (and repair) those resources. */
  private armFlapTimer(): void {
    clearTimeout(this.flapTimer);
    const next = this.flap.nextRelease();
    if (next === null || this.stopped) return;
    this.flapTimer = setTimeout(
      () => {
        const ids = this.flap.release(this.now());
        try {
          this.o.store.commit({ docs: this.stateDocs() });
        } catch (err) {
          // never throw into the event loop; the state is saved again after the next run
          this.o.log.error({ err: describeError(err) }, "cannot save the flap guard state");
        }
        this.armFlapTimer();
        if (ids.length > 0) {
          this.o.log.info({ resources: ids }, "flap guard window over; repairing again");
          this.request(
            "resync",
            ids.map((id) => ({ type: "id", id }) as const),
          );
        }
      },
      Math.min(2 ** 31 - 1, Math.max(0, next - this.now()) + 10),
    );
    this.flapTimer.unref();
  }
}
