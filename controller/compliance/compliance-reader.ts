import type { SqliteDatabase } from "../../common/index.js";
import { HostBundleStore } from "../bundles/index.js";
import { HostObservations } from "../hosts/index.js";
import { ReportedState, type ResourceStatusRow } from "../ingest/index.js";
import { computeCompliance, hostCompliance } from "./compute.js";
import type { ComplianceReport, HostComplianceInput, HostComplianceJson } from "./types.js";

/**
 * Reads what compliance is computed from, through the owners of those tables: hosts'
 * observed state (controller/hosts), their bundles (controller/bundles), and what they
 * reported (controller/ingest: resource outcomes, observed policy revisions, open drift).
 */
export class ComplianceReader {
  private readonly hosts: HostObservations;
  private readonly bundles: HostBundleStore;
  private readonly reported: ReportedState;

  constructor(db: SqliteDatabase) {
    this.hosts = new HostObservations(db);
    this.bundles = new HostBundleStore(db);
    this.reported = new ReportedState(db);
  }

  /** Inputs for every host, or only `host`. */
  inputs(host?: string): HostComplianceInput[] {
    const byHost = new Map<string, HostComplianceInput>();
    for (const h of this.hosts.states(host)) {
      byHost.set(h.name, {
        name: h.name,
        connected: h.connected,
        observedGeneration: h.observedGeneration,
        lastReportAt: h.lastReportAt,
        bundle: null,
        observedPolicies: new Map(),
        resources: [],
        openDrift: [],
      });
    }
    // A bundle revision is a hash of its entries (names and revisions included): hosts that
    // share it share the policy list, read and parsed once (not 10,000 × ~3 KB of JSON).
    const policiesOf = new Map<string, { name: string; revision: string }[]>();
    for (const b of this.bundles.heads(host)) {
      const h = byHost.get(b.host);
      if (!h) continue;
      let policies = policiesOf.get(b.revision);
      if (!policies) {
        policies = this.bundles.policiesOf(b.host);
        policiesOf.set(b.revision, policies);
      }
      h.bundle = { generation: b.generation, revision: b.revision, policies };
    }
    for (const o of this.reported.observedPolicies(host))
      byHost.get(o.host)?.observedPolicies.set(o.policy, o.revision);
    for (const r of this.reported.resourceOutcomes(host)) {
      byHost
        .get(r.host)
        ?.resources.push({ policy: r.policy, kind: r.kind, name: r.name, outcome: r.outcome, eventSeq: r.eventSeq });
    }
    for (const d of this.reported.openDrift(host)) {
      byHost.get(d.host)?.openDrift.push({
        policy: d.policy,
        kind: d.kind,
        name: d.name,
        remediation: d.remediation,
        eventSeq: d.eventSeq,
      });
    }
    return [...byHost.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Latest outcome per resource of `host`, ordered by policy, kind, name (controller/ingest's). */
  resourceStatus(host: string): ResourceStatusRow[] {
    return this.reported.resourceStatus(host);
  }

  report(now: number): ComplianceReport {
    return computeCompliance(this.inputs(), now);
  }

  host(name: string): HostComplianceJson | undefined {
    const input = this.inputs(name)[0];
    return input ? hostCompliance(input) : undefined;
  }
}
