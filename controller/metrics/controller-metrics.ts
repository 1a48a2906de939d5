import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { describeError, type Logger, type Queryable } from "../../common/index.js";
import type { DeliveryOutcome } from "../alerts/index.js";
import type { AlertsStatus, ComplianceTally } from "../compliance/index.js";
import type { HostConditions } from "../hosts/index.js";
import type { IngestBatch } from "../ingest/index.js";
import type { Rollout } from "../rollout/index.js";
import {
  COMPLIANCE_STATUSES,
  complianceFigures,
  HOST_PHASES,
  hostStateFigures,
  LISTED_HOST_STATES,
  rolloutFigures,
  type SessionView,
} from "./figures.js";
import { STORE_FILE_LABELS, storeSizes } from "./store-size.js";

/** What the metrics read at scrape time: the controller's own services (ControllerMetrics never writes). */
export interface MetricsSources {
  /** Connected agents' sessions (AgentService.sessions(): in memory). */
  sessions(): Iterable<SessionView>;
  /** Agents' own conditions (degraded), for the host states. */
  conditions?: HostConditions;
  /** How many hosts are enrolled (HostStore.count: one aggregate query). */
  hostCount(): Promise<number>;
  /** Every enrolled host's name: read only with `perHost` (for the disconnected ones). */
  hostNames(): Promise<string[]>;
  /** Every host's compliance in memory (ComplianceService.tally, controller/compliance): brought up to date at each scrape. */
  compliance: ComplianceTally;
  /** The newest rollout of each policy (RolloutRunner: in memory). */
  rollouts(): readonly Rollout[];
  /** Webhook delivery counts (one aggregate query); absent when no webhook is configured. */
  webhooks?: () => Promise<AlertsStatus>;
  /** The SQLite database file (its -wal and -shm are measured too), when the store is SQLite. */
  storeFile?: string;
  /** The PostgreSQL store, when the controller runs on one (its size is pg_database_size; storeFile is then not read). */
  storeDatabase?: Queryable;
}

export interface MetricsOptions {
  /** Series with a `host` label (state, compliance, backlog per host): off by default (10,000 hosts = 10,000 series each). */
  perHost: boolean;
  now?: () => number;
}

/** Seconds; the ingest batch waits ≤ 10 ms and commits in ~1 ms, so the interesting range is 1 ms – 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The controller's Prometheus metrics (docs/metrics.md), in a registry of its own (never
 * prom-client's global one). Counters are incremented by the hooks (`record*`, wired by
 * wireControllerMetrics); gauges are computed by `scrape()` from the sources: in-memory state,
 * one aggregate query each, and the compliance tally (controller/compliance ComplianceTally:
 * hosts read again only when touched — touchOnChanges — plus a full pass every 10 minutes).
 * A source that fails leaves its gauges as they were, logs, and counts
 * virtfleet_metrics_source_errors_total{source}; the scrape still answers.
 *
 * Labels are bounded: closed sets of the CLI contract (states, statuses, kinds, remediations,
 * classifications, outcomes) and policy names; a `host` label only with `perHost`.
 */
export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly compliance: ComplianceTally;
  private scraping: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  private readonly driftEvents = this.counter(
    "virtfleet_drift_events_total",
    "Drift events detected (first stored state of each drift id), by resource kind, remediation and classification",
    ["kind", "remediation", "classification"],
  );
  private readonly ingestEvents = this.counter(
    "virtfleet_ingest_events_total",
    "Agent events (reports and drift events) received in written ingest batches",
  );
  private readonly ingestStoreFailures = this.counter(
    "virtfleet_ingest_store_failures_total",
    "Hosts whose events a batch could not store (their streams were reset; the agents replay)",
  );
  private readonly batchLatency = new Histogram({
    name: "virtfleet_ingest_batch_latency_seconds",
    help: "Ingest batch latency: from its first event's arrival to its commit and acknowledgement",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly batchWrite = new Histogram({
    name: "virtfleet_ingest_batch_write_seconds",
    help: "Ingest batch write: the store transaction and acknowledgements alone",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly enrolments = this.counter("virtfleet_enrolments_total", "Hosts enrolled with a token");
  private readonly renewals = this.counter("virtfleet_certificate_renewals_total", "Agent certificates renewed");
  private readonly revocations = this.counter(
    "virtfleet_certificates_revoked_total",
    "Certificates revoked (cert revoke, host remove), by kind",
    ["kind"],
  );
  private readonly webhookDeliveries = this.counter(
    "virtfleet_webhook_deliveries_total",
    "Webhook delivery attempts by outcome: delivered, failed (retried later), abandoned (retry budget spent)",
    ["outcome"],
  );
  private readonly sourceErrors = this.counter(
    "virtfleet_metrics_source_errors_total",
    "Scrapes where reading a source of the gauges failed (its gauges kept their previous values)",
    ["source"],
  );

  private readonly agentsConnected = this.gauge("virtfleet_agents_connected", "Agents with an open stream");
  private readonly hosts = this.gauge(
    "virtfleet_hosts",
    "Enrolled hosts by state (connected, disconnected, libvirt-unreachable, degraded)",
    ["state"],
  );
  private readonly backlogSum = this.gauge(
    "virtfleet_outbox_backlog_events",
    "Events waiting in the connected agents' outboxes (not yet acknowledged), summed over the fleet, as of their last heartbeat",
  );
  private readonly backlogMax = this.gauge(
    "virtfleet_outbox_backlog_max_events",
    "The largest outbox backlog of one connected agent, as of its last heartbeat",
  );
  private readonly hostsCompliance = this.gauge(
    "virtfleet_hosts_compliance",
    "Hosts by compliance status: the worst status of their policies (compliant, drifted, failed, pending, pending-restart)",
    ["status"],
  );
  private readonly fleetCompliance = this.gauge(
    "virtfleet_fleet_compliance_ratio",
    "Compliant hosts / enrolled hosts (1 for an empty fleet)",
  );
  private readonly policyCompliance = this.gauge(
    "virtfleet_policy_compliance_ratio",
    "Per policy: hosts compliant with it / hosts whose bundle carries it",
    ["policy"],
  );
  private readonly policyHosts = this.gauge(
    "virtfleet_policy_hosts",
    "Per policy: hosts whose bundle carries it, by status",
    ["policy", "status"],
  );
  private readonly rollouts = this.gauge(
    "virtfleet_rollouts",
    "The newest rollout of each policy, by state and the kind of its stage in progress (plan, canary, batch, none)",
    ["state", "stage"],
  );
  private readonly rolloutStage = this.gauge(
    "virtfleet_rollout_stage",
    "Active rollouts: the index of the stage in progress (-1: none)",
    ["policy"],
  );
  private readonly rolloutHosts = this.gauge(
    "virtfleet_rollout_hosts",
    "Active rollouts: participating hosts by phase",
    ["policy", "phase"],
  );
  private readonly webhookQueue = this.gauge(
    "virtfleet_webhook_queue_depth",
    "Webhook deliveries waiting (not delivered, not abandoned)",
  );
  private readonly webhookFailing = this.gauge(
    "virtfleet_webhook_deliveries_failing",
    "Waiting webhook deliveries that failed at least once",
  );
  private readonly webhookAbandoned = this.gauge(
    "virtfleet_webhook_deliveries_abandoned",
    "Webhook deliveries abandoned after their retry budget (kept for a retention period)",
  );
  private readonly storeBytes = this.gauge(
    "virtfleet_store_size_bytes",
    "Size of the controller's store: its SQLite files (database, wal, shm), or its PostgreSQL database (database)",
    ["file"],
  );
  private readonly hostState?: Gauge<"host" | "state">;
  private readonly hostCompliance?: Gauge<"host" | "status">;
  private readonly hostBacklog?: Gauge<"host">;

  constructor(
    private readonly sources: MetricsSources,
    private readonly log: Logger,
    private readonly options: MetricsOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.compliance = sources.compliance;
    collectDefaultMetrics({ register: this.registry });
    if (options.perHost) {
      this.hostState = this.gauge("virtfleet_host_state", "Per host (--metrics-per-host): 1 for its state", [
        "host",
        "state",
      ]);
      this.hostCompliance = this.gauge(
        "virtfleet_host_compliance",
        "Per host (--metrics-per-host): 1 for its compliance status",
        ["host", "status"],
      );
      this.hostBacklog = this.gauge(
        "virtfleet_host_outbox_backlog_events",
        "Per connected host (--metrics-per-host): its outbox backlog",
        ["host"],
      );
    }
    // Series that exist from the start (a counter at 0 says "none yet", not "unknown").
    this.enrolments.inc(0);
    this.renewals.inc(0);
    this.ingestEvents.inc(0);
    this.ingestStoreFailures.inc(0);
    for (const kind of ["agent", "admin"]) this.revocations.inc({ kind }, 0);
    for (const outcome of ["delivered", "failed", "abandoned"]) this.webhookDeliveries.inc({ outcome }, 0);
  }

  /** An ingest batch was written (Ingestor.onBatch). */
  recordIngestBatch(b: IngestBatch): void {
    this.ingestEvents.inc(b.events);
    if (b.failedHosts.length > 0) this.ingestStoreFailures.inc(b.failedHosts.length);
    this.batchLatency.observe(Math.max(0, b.doneAt - b.receivedAt) / 1000);
    this.batchWrite.observe(Math.max(0, b.doneAt - b.writeStartedAt) / 1000);
    for (const changes of b.stored)
      for (const c of changes.drift)
        if (c.created)
          this.driftEvents.inc({
            kind: c.drift.kind,
            remediation: c.drift.remediation,
            classification: c.drift.classification,
          });
  }

  /** `host`'s compliance may have changed (its events were stored, it was sent a bundle): read again at the next scrape (ComplianceTally.touch). */
  touchCompliance(host: string): void {
    this.compliance.touch(host);
  }

  recordEnrolment(): void {
    this.enrolments.inc();
  }

  recordRenewal(): void {
    this.renewals.inc();
  }

  recordRevocation(kind: "agent" | "admin", certificates: number): void {
    this.revocations.inc({ kind }, certificates);
  }

  recordWebhookDelivery(outcome: DeliveryOutcome): void {
    this.webhookDeliveries.inc({ outcome });
  }

  /**
   * The exposition text (Prometheus text format 0.0.4) with every gauge computed now. Scrapes
   * run one after the other (two Prometheus servers scraping at once do not double the reads).
   */
  scrape(): Promise<{ contentType: string; body: string }> {
    const run = this.scraping.then(() => this.scrapeNow());
    this.scraping = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async scrapeNow(): Promise<{ contentType: string; body: string }> {
    let enrolled: number | undefined;
    await this.source("hosts", async () => {
      enrolled = await this.sources.hostCount();
      await this.refreshHosts(enrolled);
    });
    await Promise.all([
      this.source("compliance", () => this.refreshCompliance(enrolled)),
      this.source("rollouts", async () => this.refreshRollouts()),
      this.source("webhooks", () => this.refreshWebhooks()),
      this.source("store", () => this.refreshStore()),
    ]);
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async source(name: string, refresh: () => Promise<void>): Promise<void> {
    try {
      await refresh();
    } catch (err) {
      this.sourceErrors.inc({ source: name });
      this.log.warn({ source: name, err: describeError(err) }, "a metrics source failed; its gauges keep their values");
    }
  }

  private async refreshHosts(enrolled: number): Promise<void> {
    const f = hostStateFigures(enrolled, this.sources.sessions(), this.sources.conditions, this.options.perHost);
    this.agentsConnected.set(f.connected);
    for (const state of LISTED_HOST_STATES) this.hosts.set({ state }, f.byState[state]);
    this.backlogSum.set(f.backlogSum);
    this.backlogMax.set(f.backlogMax);
    if (f.perHost && this.hostState && this.hostBacklog) {
      const names = await this.sources.hostNames();
      this.hostState.reset();
      this.hostBacklog.reset();
      for (const host of names) {
        const live = f.perHost.get(host);
        this.hostState.set({ host, state: live?.state ?? "disconnected" }, 1);
        if (live) this.hostBacklog.set({ host }, live.backlog);
      }
    }
  }

  private async refreshCompliance(enrolled: number | undefined): Promise<void> {
    await this.compliance.update(enrolled);
    const f = complianceFigures(this.compliance, this.options.perHost);
    for (const status of COMPLIANCE_STATUSES) this.hostsCompliance.set({ status }, f.hosts[status]);
    this.fleetCompliance.set(f.fleetRatio);
    this.policyCompliance.reset();
    this.policyHosts.reset();
    for (const [policy, p] of f.policies) {
      this.policyCompliance.set({ policy }, p.hosts === 0 ? 1 : p.byStatus.compliant / p.hosts);
      for (const status of COMPLIANCE_STATUSES) this.policyHosts.set({ policy, status }, p.byStatus[status]);
    }
    if (f.perHost && this.hostCompliance) {
      this.hostCompliance.reset();
      for (const [host, status] of f.perHost) this.hostCompliance.set({ host, status }, 1);
    }
  }

  private refreshRollouts(): void {
    const f = rolloutFigures(this.sources.rollouts());
    this.rollouts.reset();
    for (const { state, stage, count } of f.byStateStage.values()) this.rollouts.set({ state, stage }, count);
    this.rolloutStage.reset();
    this.rolloutHosts.reset();
    for (const r of f.active) {
      this.rolloutStage.set({ policy: r.policy }, r.stage);
      for (const phase of HOST_PHASES) this.rolloutHosts.set({ policy: r.policy, phase }, r.phases[phase]);
    }
  }

  private async refreshWebhooks(): Promise<void> {
    const s = this.sources.webhooks ? await this.sources.webhooks() : { pending: 0, failing: 0, abandoned: 0 };
    this.webhookQueue.set(s.pending);
    this.webhookFailing.set(s.failing);
    this.webhookAbandoned.set(s.abandoned);
  }

  private async refreshStore(): Promise<void> {
    const { storeDatabase, storeFile } = this.sources;
    const location = storeDatabase ? { database: storeDatabase } : storeFile ? { file: storeFile } : undefined;
    if (!location) return;
    const sizes = await storeSizes(location);
    for (const file of STORE_FILE_LABELS) {
      const bytes = sizes[file];
      if (bytes !== undefined) this.storeBytes.set({ file }, bytes);
    }
  }

  private counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}
