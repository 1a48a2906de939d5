export type PolicyStatus = "compliant" | "drifted" | "failed" | "pending";

export interface ResourceCounts {
  ok: number;
  drift: number;
  failed: number;
}

/** One policy on one host in `compliance --json` (spec/cli.md). */
export interface PolicyCompliance {
  name: string;
  /** The policy revision in the host's current bundle. */
  revision: string;
  /** The policy revision the host last converged, when known. */
  observedRevision?: string;
  status: PolicyStatus;
  resources: ResourceCounts;
}

export interface HostComplianceJson {
  name: string;
  compliant: boolean;
  connected: boolean;
  /** Bundle generation the controller assigned and the one the host last converged. */
  generation: number;
  observedGeneration: number;
  lastReportAt?: string;
  policies: PolicyCompliance[];
}

/** Webhook delivery health (the `alerts` block of `compliance --json`). */
export interface AlertsStatus {
  /** Configured webhook URLs, userinfo and query redacted. */
  webhooks: string[];
  /** Deliveries not yet made (waiting or retrying). */
  pending: number;
  /** Pending deliveries whose last attempt failed. */
  failing: number;
  /** Deliveries given up after the retry budget. */
  abandoned: number;
  /** The most recent delivery error, or null. */
  lastError: string | null;
  lastErrorAt?: string;
}

/** The `virtfleet compliance --json` document. */
export interface ComplianceReport {
  generatedAt: string;
  fleet: { hosts: number; compliant: number; percent: number };
  hosts: HostComplianceJson[];
  alerts?: AlertsStatus;
}

/** What one host's compliance is computed from. Times are ms since the epoch. */
export interface HostComplianceInput {
  name: string;
  connected: boolean;
  observedGeneration: number;
  lastReportAt: number | null;
  /** The host's current bundle (host_bundles); null when it has none. */
  bundle: { generation: number; revision: string; policies: { name: string; revision: string }[] } | null;
  /** Policy → revision the host last converged. */
  observedPolicies: Map<string, string>;
  /** Latest outcome per resource, with the event_seq of the report that set it. */
  resources: { policy: string; kind: string; name: string; outcome: string; eventSeq: number }[];
  /** Unresolved drift events. */
  openDrift: { policy: string; kind: string; name: string; remediation: string; eventSeq: number }[];
}
