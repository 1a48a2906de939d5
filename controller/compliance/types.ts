/** The `compliance --json` document's types: owned by the wire contract, common/wire/admin-documents.ts. */
export type {
  PolicyStatus,
  ResourceCounts,
  PolicyCompliance,
  HostComplianceJson,
  AlertsStatus,
  ComplianceReport,
} from "../../common/wire/admin-documents.js";

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
