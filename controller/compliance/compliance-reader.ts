import { queryableOf, type Queryable, type SqliteDatabase } from "../../common/index.js";
import { HostBundleStore } from "../bundles/index.js";
import { HostObservations } from "../hosts/index.js";
import { ReportedState, type ResourceStatusRow } from "../ingest/index.js";
import { computeCompliance, hostCompliance } from "./compute.js";
import type { ComplianceReport, HostComplianceInput, HostComplianceJson } from "./types.js";

/**
 * Reads what compliance is computed from, through the owners of those tables: hosts'
 * observed state (controller/hosts), their bundles (controller/bundles), and what they
 * reported (controller/ingest: resource outcomes, observed policy revisions, open drift).
 * Every read of inputs is one transaction (one consistent state of the tables, on either
 * engine); the whole fleet's is a handful of statements (one per table, plus one per distinct
 * bundle revision), not a few per host.
 */
export class ComplianceReader {
  private readonly hosts: HostObservations;
  private readonly bundles: HostBundleStore;
  private readonly reported: ReportedState;
  private readonly db: Queryable;

  constructor(handle: SqliteDatabase | Queryable) {
    const db = queryableOf(handle);
    this.db = db;
    this.hosts = new HostObservations(db);
    this.bundles = new HostBundleStore(db);
    this.reported = new ReportedState(db);
  }

  /**
   * The labels of each domain in `host`'s current bundle, by domain name (domains without
   * labels are left out); empty when the host has no bundle.
   */
  async domainLabels(host: string): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    const bundle = await this.bundles.get(host);
    for (const p of bundle?.bundle.policies ?? []) {
      let resolved: { resources?: { domains?: { name?: unknown; labels?: unknown }[] } };
      try {
        resolved = JSON.parse(p.resolvedJson ?? "{}");
      } catch {
        continue;
      }
      for (const d of resolved.resources?.domains ?? [])
        if (typeof d.name === "string" && d.labels && typeof d.labels === "object" && Object.keys(d.labels).length > 0)
          out.set(d.name, d.labels as Record<string, string>);
    }
    return out;
  }

  /** Every host's name (the hosts table, as HostStore.names), sorted. */
  async hostNames(): Promise<string[]> {
    return (await this.hosts.states()).map((h) => h.name).sort();
  }

  /** The engine the inputs are read from (a full pass reads them all at once on PostgreSQL: ComplianceService). */
  get engine(): Queryable["engine"] {
    return this.db.engine;
  }

  /** Inputs for every host, or only `host`: read in one transaction (one consistent state of the tables). */
  inputs(host?: string): Promise<HostComplianceInput[]> {
    // One snapshot for all the statements (PostgreSQL's default gives each its own); read only,
    // so it never fails to serialize.
    return this.db.transaction((tx) => this.read(tx, host), { readOnlySnapshot: true });
  }

  private async read(tx: Queryable, host?: string): Promise<HostComplianceInput[]> {
    const byHost = new Map<string, HostComplianceInput>();
    for (const h of await this.hosts.states(host, tx)) {
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
    for (const b of await this.bundles.heads(host, tx)) {
      const h = byHost.get(b.host);
      if (!h) continue;
      let policies = policiesOf.get(b.revision);
      if (!policies) {
        policies = await this.bundles.policiesOf(b.host, tx);
        policiesOf.set(b.revision, policies);
      }
      h.bundle = { generation: b.generation, revision: b.revision, policies };
    }
    for (const o of await this.reported.observedPolicies(host, tx))
      byHost.get(o.host)?.observedPolicies.set(o.policy, o.revision);
    for (const r of await this.reported.resourceOutcomes(host, tx)) {
      byHost
        .get(r.host)
        ?.resources.push({ policy: r.policy, kind: r.kind, name: r.name, outcome: r.outcome, eventSeq: r.eventSeq });
    }
    for (const d of await this.reported.openDrift(host, tx)) {
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
  resourceStatus(host: string): Promise<ResourceStatusRow[]> {
    return this.reported.resourceStatus(host);
  }

  async report(now: number): Promise<ComplianceReport> {
    return computeCompliance(await this.inputs(), now);
  }

  async host(name: string): Promise<HostComplianceJson | undefined> {
    const input = (await this.inputs(name))[0];
    return input ? hostCompliance(input) : undefined;
  }
}
