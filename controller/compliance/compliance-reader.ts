import type { SqliteDatabase } from "../../common/index.js";
import { bundlePolicies } from "../ingest/index.js";
import { computeCompliance, hostCompliance } from "./compute.js";
import type { ComplianceReport, HostComplianceInput, HostComplianceJson } from "./types.js";

export interface ResourceStatusRow {
  policy: string;
  kind: string;
  name: string;
  outcome: string;
  error: string;
  pendingRestart: boolean;
  changesJson: string;
  updatedAt: number;
}

interface Row {
  host: string;
  policy: string;
  kind: string;
  name: string;
}

/** Reads what compliance is computed from (hosts, host_bundles, migration 003 tables). */
export class ComplianceReader {
  private readonly stmts;

  constructor(db: SqliteDatabase) {
    const filter = (sql: string, col = "host") => ({
      all: db.prepare(sql),
      one: db.prepare(`${sql} ${sql.includes("WHERE") ? "AND" : "WHERE"} ${col} = ?`),
    });
    this.stmts = {
      hosts: filter("SELECT name, connected, observed_generation, last_report_at FROM hosts", "name"),
      bundles: filter("SELECT host, revision, generation FROM host_bundles"),
      bundleJson: db.prepare<[string], { bundle_json: string }>("SELECT bundle_json FROM host_bundles WHERE host = ?"),
      observed: filter("SELECT host, policy, revision FROM host_observed_policies"),
      resources: filter("SELECT host, policy, kind, name, outcome, event_seq FROM resource_status"),
      status: db.prepare<[string], Row & { outcome: string; error: string; pending_restart: number; changes_json: string; updated_at: number }>(
        "SELECT policy, kind, name, outcome, error, pending_restart, changes_json, updated_at FROM resource_status WHERE host = ? ORDER BY policy, kind, name",
      ),
      drift: filter("SELECT host, policy, kind, name, remediation, event_seq FROM drift_events WHERE resolved_at IS NULL"),
    };
  }

  /** Inputs for every host, or only `host`. */
  inputs(host?: string): HostComplianceInput[] {
    const q = <T>(s: { all: { all(...a: unknown[]): unknown[] }; one: { all(...a: unknown[]): unknown[] } }): T[] =>
      (host === undefined ? s.all.all() : s.one.all(host)) as T[];
    const byHost = new Map<string, HostComplianceInput>();
    for (const h of q<{ name: string; connected: number; observed_generation: number; last_report_at: number | null }>(this.stmts.hosts)) {
      byHost.set(h.name, {
        name: h.name,
        connected: h.connected === 1,
        observedGeneration: h.observed_generation,
        lastReportAt: h.last_report_at,
        bundle: null,
        observedPolicies: new Map(),
        resources: [],
        openDrift: [],
      });
    }
    // A bundle revision is a hash of its entries (names and revisions included): hosts that
    // share it share the policy list, read and parsed once (not 10,000 × ~3 KB of JSON).
    const policiesOf = new Map<string, { name: string; revision: string }[]>();
    for (const b of q<{ host: string; revision: string; generation: number }>(this.stmts.bundles)) {
      const h = byHost.get(b.host);
      if (!h) continue;
      let policies = policiesOf.get(b.revision);
      if (!policies) {
        policies = bundlePolicies(this.stmts.bundleJson.get(b.host)?.bundle_json ?? "{}");
        policiesOf.set(b.revision, policies);
      }
      h.bundle = { generation: b.generation, revision: b.revision, policies };
    }
    for (const o of q<{ host: string; policy: string; revision: string }>(this.stmts.observed)) byHost.get(o.host)?.observedPolicies.set(o.policy, o.revision);
    for (const r of q<Row & { outcome: string; event_seq: number }>(this.stmts.resources)) {
      byHost.get(r.host)?.resources.push({ policy: r.policy, kind: r.kind, name: r.name, outcome: r.outcome, eventSeq: r.event_seq });
    }
    for (const d of q<Row & { remediation: string; event_seq: number }>(this.stmts.drift)) {
      byHost.get(d.host)?.openDrift.push({ policy: d.policy, kind: d.kind, name: d.name, remediation: d.remediation, eventSeq: d.event_seq });
    }
    return [...byHost.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Latest outcome per resource of `host`, ordered by policy, kind, name. */
  resourceStatus(host: string): ResourceStatusRow[] {
    return this.stmts.status.all(host).map((r) => ({
      policy: r.policy,
      kind: r.kind,
      name: r.name,
      outcome: r.outcome,
      error: r.error,
      pendingRestart: r.pending_restart === 1,
      changesJson: r.changes_json,
      updatedAt: r.updated_at,
    }));
  }

  report(now: number): ComplianceReport {
    return computeCompliance(this.inputs(), now);
  }

  host(name: string): HostComplianceJson | undefined {
    const input = this.inputs(name)[0];
    return input ? hostCompliance(input) : undefined;
  }
}
