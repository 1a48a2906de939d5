import { queryableOf, type Queryable, type SqliteDatabase } from "../../common/index.js";

/** A resource's latest reported outcome, as `host --json` shows it. */
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

/** A resource's latest outcome with the event_seq of the report that set it. */
export interface ResourceOutcomeRow {
  host: string;
  policy: string;
  kind: string;
  name: string;
  outcome: string;
  eventSeq: number;
}

/** An unresolved drift event, as compliance weighs it. */
export interface OpenDriftRow {
  host: string;
  policy: string;
  kind: string;
  name: string;
  remediation: string;
  eventSeq: number;
}

/**
 * What agents reported, for the modules that read it (controller/compliance, the rollout
 * runner): the queries on resource_status, host_observed_policies and drift_events, which
 * EventStore writes. Each list query reads every host, or only `host` when given. Read-only;
 * any number of instances over one database agree.
 */
export class ReportedState {
  private readonly db: Queryable;

  constructor(handle: SqliteDatabase | Queryable) {
    this.db = queryableOf(handle);
  }

  /** Latest outcome per resource. */
  async resourceOutcomes(host?: string, on: Queryable = this.db): Promise<ResourceOutcomeRow[]> {
    const rows =
      host === undefined ? await on.all<DbOutcome>(SQL.resources) : await on.all<DbOutcome>(SQL.resourcesOf, [host]);
    return rows.map((r) => ({
      host: r.host,
      policy: r.policy,
      kind: r.kind,
      name: r.name,
      outcome: r.outcome,
      eventSeq: r.event_seq,
    }));
  }

  /** Latest outcome per resource of `host`, ordered by policy, kind, name. */
  async resourceStatus(host: string, on: Queryable = this.db): Promise<ResourceStatusRow[]> {
    return (await on.all<DbStatus>(SQL.status, [host])).map((r) => ({
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

  /** One resource of `policy` whose latest outcome on `host` is failed, blocked or conflict, or undefined. */
  failedResource(
    host: string,
    policy: string,
    on: Queryable = this.db,
  ): Promise<{ kind: string; name: string; error: string } | undefined> {
    return on.get<{ kind: string; name: string; error: string }>(SQL.failed, [host, policy]);
  }

  /** Policy revisions each host last converged. */
  observedPolicies(
    host?: string,
    on: Queryable = this.db,
  ): Promise<{ host: string; policy: string; revision: string }[]> {
    return host === undefined ? on.all<DbObserved>(SQL.observed) : on.all<DbObserved>(SQL.observedOf, [host]);
  }

  /** Unresolved drift events. */
  async openDrift(host?: string, on: Queryable = this.db): Promise<OpenDriftRow[]> {
    const rows = host === undefined ? await on.all<DbDrift>(SQL.drift) : await on.all<DbDrift>(SQL.driftOf, [host]);
    return rows.map((d) => ({
      host: d.host,
      policy: d.policy,
      kind: d.kind,
      name: d.name,
      remediation: d.remediation,
      eventSeq: d.event_seq,
    }));
  }
}

/** The statements, one text for both engines (common/sql's dialect). */
const SQL = {
  resources: "SELECT host, policy, kind, name, outcome, event_seq FROM resource_status",
  resourcesOf: "SELECT host, policy, kind, name, outcome, event_seq FROM resource_status WHERE host = ?",
  status:
    "SELECT policy, kind, name, outcome, error, pending_restart, changes_json, updated_at FROM resource_status WHERE host = ? ORDER BY policy, kind, name",
  failed:
    "SELECT kind, name, error FROM resource_status WHERE host = ? AND policy = ? AND outcome IN ('failed', 'blocked', 'conflict') LIMIT 1",
  observed: "SELECT host, policy, revision FROM host_observed_policies",
  observedOf: "SELECT host, policy, revision FROM host_observed_policies WHERE host = ?",
  drift: "SELECT host, policy, kind, name, remediation, event_seq FROM drift_events WHERE resolved_at IS NULL",
  driftOf:
    "SELECT host, policy, kind, name, remediation, event_seq FROM drift_events WHERE resolved_at IS NULL AND host = ?",
};

interface DbOutcome {
  host: string;
  policy: string;
  kind: string;
  name: string;
  outcome: string;
  event_seq: number;
}

interface DbStatus {
  policy: string;
  kind: string;
  name: string;
  outcome: string;
  error: string;
  pending_restart: number;
  changes_json: string;
  updated_at: number;
}

interface DbObserved {
  host: string;
  policy: string;
  revision: string;
}

interface DbDrift {
  host: string;
  policy: string;
  kind: string;
  name: string;
  remediation: string;
  event_seq: number;
}
