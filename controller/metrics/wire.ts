import type { Logger, Queryable } from "../../common/index.js";
import type { AgentService } from "../agents/index.js";
import type { Alerts } from "../alerts/index.js";
import type { ComplianceService } from "../compliance/index.js";
import type { EnrollEvents } from "../enroll/index.js";
import type { HostConditions, HostStore } from "../hosts/index.js";
import type { Ingestor } from "../ingest/index.js";
import type { ControllerPki } from "../pki/index.js";
import type { RolloutRunner } from "../rollout-runner/index.js";
import { ControllerMetrics, type MetricsOptions } from "./controller-metrics.js";

/** The controller's services the metrics read and hook into (the instances controller.ts built). */
export interface MetricsWiring {
  agents: AgentService;
  conditions: HostConditions;
  hosts: HostStore;
  compliance: ComplianceService;
  rollouts: RolloutRunner;
  alerts: Alerts;
  ingestor: Ingestor;
  /** Secure mode: revocations are counted (undefined with --insecure). */
  pki: ControllerPki | undefined;
  /** The SQLite database file, when the store is SQLite. */
  storeFile?: string;
  /** The PostgreSQL store, when the controller runs on one (measured instead of storeFile). */
  storeDatabase?: Queryable;
  log: Logger;
}

/**
 * Builds the metrics over the services and hooks the counters where things happen: ingest
 * batches (after their commit), webhook delivery outcomes, certificate revocations. The
 * compliance figures come from ComplianceService.tally, which controller.ts has touched by
 * controller/compliance's touchOnChanges (ingest batches, bundle deliveries).
 * Enrolments are counted by wrapping EnrollService's events (countEnrolments).
 */
export function wireControllerMetrics(w: MetricsWiring, options: MetricsOptions): ControllerMetrics {
  const metrics = new ControllerMetrics(
    {
      sessions: () => w.agents.sessions(),
      conditions: w.conditions,
      hostCount: () => w.hosts.count(),
      hostNames: () => w.hosts.names(),
      compliance: w.compliance.tally,
      rollouts: () => w.rollouts.latestRollouts(),
      webhooks: w.alerts.enabled ? () => w.alerts.status() : undefined,
      storeFile: w.storeFile,
      storeDatabase: w.storeDatabase,
    },
    w.log,
    options,
  );
  w.ingestor.onBatch((b) => metrics.recordIngestBatch(b));
  w.alerts.onDelivery((outcome) => metrics.recordWebhookDelivery(outcome));
  w.pki?.onRevoked((kind, certificates) => metrics.recordRevocation(kind, certificates));
  return metrics;
}

/** `events` (EnrollService's), also counting enrolments and renewals in `metrics`. */
export function countEnrolments(events: EnrollEvents, metrics: ControllerMetrics | undefined): EnrollEvents {
  if (!metrics) return events;
  return {
    onEnrolled: (e) => {
      metrics.recordEnrolment();
      events.onEnrolled?.(e);
    },
    onRenewed: (e) => {
      metrics.recordRenewal();
      events.onRenewed?.(e);
    },
  };
}
