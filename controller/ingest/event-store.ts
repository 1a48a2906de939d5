import { jsonTextList, queryableOf, type Queryable, type SqliteDatabase } from "../../common/index.js";
import type { AgentEvent, DriftView, ValidDrift, ValidReport } from "../agent-messages/index.js";
import { driftFieldsFromText, driftFieldsToText } from "../../common/wire/index.js";
import { HostBundleStore } from "../bundles/index.js";
import { HostObservations, type ObservedRow } from "../hosts/index.js";
import type { StoredDrift } from "./drift-feed.js";
import { planReports, type HostReportPlan, type ReportRow, type StatusRow, type StoredStatus } from "./report-plan.js";

/** Events of one host, in the order its agent sent them. */
export interface HostEvents {
  host: string;
  events: AgentEvent[];
}

/** A resource whose outcome became `failed` (or whose failure message changed). */
export interface ResourceFailure {
  host: string;
  policy: string;
  kind: string;
  name: string;
  error: string;
  eventSeq: number;
  at: number;
}

/** A drift event whose stored state changed. */
export interface DriftChange {
  drift: DriftView;
  /** New id, or remediation/resolution differs from what was stored. */
  notable: boolean;
  /** The first stored state of this drift id (a drift event detected, not an update of one). */
  created: boolean;
}

/** What one `store()` call changed. */
export interface StoredChanges {
  drift: DriftChange[];
  failures: ResourceFailure[];
  /** Per host: highest event_seq durably stored (what to acknowledge). */
  lastEventSeq: Map<string, number>;
  /** Events at or below the stored last_event_seq: acknowledged, not stored again. */
  duplicates: number;
  /** Drift ids already owned by another host: ignored. */
  conflicts: number;
}

export interface DriftQuery {
  host?: string;
  /** ms since the epoch; events detected at or after it. */
  since?: number;
  limit: number;
}

interface DbDrift {
  id: string;
  host: string;
  event_seq: number;
  policy: string;
  kind: string;
  name: string;
  fields_json: string;
  detected_at: number;
  source: string;
  remediation: string;
  resolved_at: number | null;
  classification: string;
  detail: string;
  received_at: number;
}

function toDriftView(r: DbDrift): DriftView {
  return {
    id: r.id,
    host: r.host,
    eventSeq: r.event_seq,
    policy: r.policy,
    kind: r.kind as DriftView["kind"],
    name: r.name,
    fields: driftFieldsFromText(r.fields_json),
    detectedAt: r.detected_at,
    source: r.source as DriftView["source"],
    remediation: r.remediation as DriftView["remediation"],
    resolvedAt: r.resolved_at,
    classification: r.classification as DriftView["classification"],
    detail: r.detail,
  };
}

/** A drift event to apply, in the batch's order. */
interface PendingDrift {
  host: string;
  drift: ValidDrift;
}

/** A drift_events row as written (named params of SQL.upsertDrift). */
interface DriftRow {
  id: string;
  host: string;
  eventSeq: number;
  policy: string;
  kind: string;
  name: string;
  fieldsJson: string;
  detectedAt: number;
  source: string;
  remediation: string;
  resolvedAt: number | null;
  classification: string;
  detail: string;
  now: number;
}

const DRIFT_COLUMNS =
  "id, host, event_seq, policy, kind, name, fields_json, detected_at, source, remediation, resolved_at, classification, detail, received_at";
const DRIFT_UPDATE = `ON CONFLICT (id) DO UPDATE SET event_seq = excluded.event_seq, policy = excluded.policy, kind = excluded.kind,
     name = excluded.name, fields_json = excluded.fields_json, detected_at = excluded.detected_at, source = excluded.source,
     remediation = excluded.remediation, resolved_at = excluded.resolved_at, classification = excluded.classification,
     detail = excluded.detail, received_at = excluded.received_at
   WHERE drift_events.host = excluded.host AND excluded.event_seq > drift_events.event_seq`;
const STATUS_COLUMNS =
  "host, policy, kind, name, outcome, changes_json, error, pending_restart, generation, event_seq, updated_at";
const STATUS_UPDATE = `ON CONFLICT (host, kind, name) DO UPDATE SET policy = excluded.policy, outcome = excluded.outcome,
     changes_json = excluded.changes_json, error = excluded.error, pending_restart = excluded.pending_restart,
     generation = excluded.generation, event_seq = excluded.event_seq, updated_at = excluded.updated_at`;

/**
 * The statements. One text for both engines where they can share one; the `Many` texts are
 * PostgreSQL's one-statement forms of a loop SQLite runs row by row (a row set passed as one
 * JSON array: a round trip per row would bound ingest on PostgreSQL).
 */
const SQL = {
  insertReport: `INSERT INTO reports (host, event_seq, generation, revision, trigger_kind, started_at, duration_ms, dry_run, summary_json, received_at)
     VALUES (@host, @eventSeq, @generation, @revision, @trigger, @startedAt, @durationMs, @dryRun, @summaryJson, @now) ON CONFLICT DO NOTHING`,
  insertReportMany: `INSERT INTO reports (host, event_seq, generation, revision, trigger_kind, started_at, duration_ms, dry_run, summary_json, received_at)
     SELECT host, "eventSeq", generation, revision, trigger, "startedAt", "durationMs", "dryRun", "summaryJson", "now"
     FROM json_to_recordset(?::json) AS x(host text, "eventSeq" bigint, generation bigint, revision text, trigger text,
       "startedAt" bigint, "durationMs" bigint, "dryRun" bigint, "summaryJson" text, "now" bigint)
     ON CONFLICT DO NOTHING`,
  /** + jsonTextList: the statuses of a set of hosts. */
  statusOf: "SELECT host, kind, name, outcome, error, event_seq FROM resource_status WHERE host IN",
  upsertStatus: `INSERT INTO resource_status (${STATUS_COLUMNS})
     VALUES (@host, @policy, @kind, @name, @outcome, @changesJson, @error, @pendingRestart, @generation, @eventSeq, @now)
     ${STATUS_UPDATE}`,
  upsertStatusMany: `INSERT INTO resource_status (${STATUS_COLUMNS})
     SELECT host, policy, kind, name, outcome, "changesJson", error, "pendingRestart", generation, "eventSeq", "now"
     FROM json_to_recordset(?::json) AS x(host text, policy text, kind text, name text, outcome text, "changesJson" text,
       error text, "pendingRestart" bigint, generation bigint, "eventSeq" bigint, "now" bigint)
     ${STATUS_UPDATE}`,
  pruneStatus: "DELETE FROM resource_status WHERE host = ? AND event_seq < ?",
  pruneStatusMany: `DELETE FROM resource_status USING json_to_recordset(?::json) AS x(host text, below bigint)
     WHERE resource_status.host = x.host AND resource_status.event_seq < x.below`,
  /** + jsonTextList: the observed policies of a set of hosts. */
  clearObservedPolicies: "DELETE FROM host_observed_policies WHERE host IN",
  observedPolicy:
    "INSERT INTO host_observed_policies (host, policy, revision, generation, observed_at) VALUES (@host, @name, @revision, @generation, @now)",
  observedPolicyMany: `INSERT INTO host_observed_policies (host, policy, revision, generation, observed_at)
     SELECT host, name, revision, generation, "now"
     FROM json_to_recordset(?::json) AS x(host text, name text, revision text, generation bigint, "now" bigint)`,
  /** + jsonTextList: the stored states of a set of drift ids. */
  driftsOf: "SELECT * FROM drift_events WHERE id IN",
  upsertDrift: `INSERT INTO drift_events (${DRIFT_COLUMNS})
     VALUES (@id, @host, @eventSeq, @policy, @kind, @name, @fieldsJson, @detectedAt, @source, @remediation, @resolvedAt, @classification, @detail, @now)
     ${DRIFT_UPDATE}`,
  upsertDriftMany: `INSERT INTO drift_events (${DRIFT_COLUMNS})
     SELECT id, host, "eventSeq", policy, kind, name, "fieldsJson", "detectedAt", source, remediation, "resolvedAt", classification, detail, "now"
     FROM json_to_recordset(?::json) AS x(id text, host text, "eventSeq" bigint, policy text, kind text, name text, "fieldsJson" text,
       "detectedAt" bigint, source text, remediation text, "resolvedAt" bigint, classification text, detail text, "now" bigint)
     ${DRIFT_UPDATE}
     RETURNING id`,
  countOpenDrift: "SELECT COUNT(*) AS n FROM drift_events WHERE resolved_at IS NULL",
  /** Rows stored at or after a received_at, after a (received_at, host, event_seq) key: a resync's pages. */
  driftReceivedFrom: `SELECT * FROM drift_events WHERE received_at >= ? AND (received_at, host, event_seq) > (?, ?, ?)
     ORDER BY received_at, host, event_seq LIMIT ?`,
};

/**
 * What EventStore needs of controller/hosts' HostObservations, which owns the hosts' columns;
 * each call is one statement on PostgreSQL, whatever the number of hosts.
 * `lastEventSeqs(…, { forUpdate: true })` locks the hosts' rows, in byte order of their names,
 * until `on`'s transaction ends (PostgreSQL: SELECT … FOR NO KEY UPDATE, controller/hosts
 * row-lock.ts; SQLite runs one transaction at a time).
 */
interface HostSequences {
  lastEventSeqs(hosts: readonly string[], on: Queryable, options: { forUpdate: boolean }): Promise<Map<string, number>>;
  advanceEventSeqs(seqs: ReadonlyMap<string, number>, on: Queryable): Promise<void>;
  recordObservedMany(rows: readonly ObservedRow[], now: number, on: Queryable): Promise<void>;
}

/**
 * Reports and drift events in the controller's store (migration 003). Contract:
 * - each (host, event_seq) is applied once: events at or below hosts.last_event_seq are
 *   counted as duplicates and change nothing, so replays after a reconnect are idempotent;
 *   on PostgreSQL the host's row is locked (SELECT … FOR NO KEY UPDATE, through HostObservations)
 *   from the read of last_event_seq to the commit, so two transactions storing the same
 *   host's events (two replicas while an agent reconnects) run one after the other and the
 *   second sees what the first stored;
 * - a drift event replaces the stored state of its id only when its event_seq is newer and
 *   the id belongs to the same host (a condition of the write itself: an id two hosts create
 *   at the same time goes to the first commit, the other counts a conflict);
 * - a non-dry-run report sets resource_status (latest per host/kind/name) and the host's
 *   observed generation/revision; a full run (trigger bundle|resync|startup) also removes the
 *   host's resources it no longer mentions;
 * - when the report names the bundle revision the controller holds for the host
 *   (host_bundles), that bundle's policy revisions become the host's observed ones.
 * The hosts' columns (last event_seq, observed generation) are written through their owner,
 * controller/hosts HostObservations; the bundle is read through controller/bundles.
 */
export class EventStore {
  private readonly hosts: HostSequences;
  private readonly bundles: HostBundleStore;
  private readonly db: Queryable;

  constructor(handle: SqliteDatabase | Queryable) {
    this.db = queryableOf(handle);
    this.hosts = new HostObservations(this.db);
    this.bundles = new HostBundleStore(this.db);
  }

  /**
   * Applies `batch` in one transaction; `withinTransaction` runs inside it with the changes
   * and the transaction (e.g. to queue alerts durably with the events). Resolves with the
   * changes once committed (and only then: acknowledge after this resolves); rejects, with
   * nothing stored, when any statement or `withinTransaction` fails.
   */
  store(
    batch: HostEvents[],
    now: number,
    withinTransaction?: (changes: StoredChanges, tx: Queryable) => void | Promise<void>,
  ): Promise<StoredChanges> {
    return this.db.transaction(async (tx): Promise<StoredChanges> => {
      const changes: StoredChanges = { drift: [], failures: [], lastEventSeq: new Map(), duplicates: 0, conflicts: 0 };
      // Lock every host of the batch first (one statement), in byte order of their names (as
      // every transaction locking several hosts does): two batches sharing hosts then wait for
      // each other instead of deadlocking.
      const stored = await this.hosts.lastEventSeqs(
        batch.map((b) => b.host),
        tx,
        { forUpdate: true },
      );
      // The new events, in order. Reports and drift events write apart tables, so each kind
      // is applied on its own, in a few statements for the whole batch.
      const reports: { host: string; report: ValidReport }[] = [];
      const drifts: PendingDrift[] = [];
      for (const { host, events } of batch) {
        let last = changes.lastEventSeq.get(host) ?? stored.get(host) ?? 0;
        for (const e of events) {
          if (e.eventSeq <= last) {
            changes.duplicates += 1;
            continue;
          }
          if (e.type === "report") reports.push({ host, report: e.report });
          else drifts.push({ host, drift: e.drift });
          last = e.eventSeq;
        }
        changes.lastEventSeq.set(host, last);
      }
      await this.applyReports(reports, now, changes, tx);
      await this.applyDrifts(drifts, now, changes, tx);
      await this.hosts.advanceEventSeqs(changes.lastEventSeq, tx);
      await withinTransaction?.(changes, tx);
      return changes;
    });
  }

  /** How many drift events are unresolved (open drift: the dashboard's overview). */
  async countOpenDrift(on: Queryable = this.db): Promise<number> {
    return (await on.get<{ n: number }>(SQL.countOpenDrift))?.n ?? 0;
  }

  /** Drift events, oldest first; the newest `limit` when more match. */
  async listDrift(q: DriftQuery, on: Queryable = this.db): Promise<DriftView[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.host) {
      where.push("host = ?");
      args.push(q.host);
    }
    if (q.since !== undefined) {
      where.push("detected_at >= ?");
      args.push(q.since);
    }
    const sql = `SELECT * FROM drift_events ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY detected_at DESC, event_seq DESC LIMIT ?`;
    return (await on.all<DbDrift>(sql, [...args, q.limit])).reverse().map(toDriftView);
  }

  /**
   * The stored rows of drift `ids` (one statement), in the order of `ids`; ids no longer stored
   * (pruned, their host removed) are left out. What another replica's `drift` signal names.
   */
  async driftByIds(ids: readonly string[], on: Queryable = this.db): Promise<StoredDrift[]> {
    if (ids.length === 0) return [];
    const rows = new Map((await this.storedDrifts([...new Set(ids)], on)).map((r) => [r.id, r]));
    const out: StoredDrift[] = [];
    for (const id of ids) {
      const r = rows.get(id);
      if (r) out.push({ drift: toDriftView(r), receivedAt: Number(r.received_at) });
    }
    return out;
  }

  /**
   * At most `limit` drift rows stored at or after `from` (received_at, ms), ordered by
   * (received_at, host, event_seq) (a total order: a host's event_seq is stored once), after
   * the key `after` (the previous page's last row; none for the first page).
   */
  async driftReceivedFrom(
    from: number,
    after: { receivedAt: number; host: string; eventSeq: number } | undefined,
    limit: number,
    on: Queryable = this.db,
  ): Promise<StoredDrift[]> {
    const key = after ?? { receivedAt: from - 1, host: "", eventSeq: 0 };
    const rows = await on.all<DbDrift>(SQL.driftReceivedFrom, [from, key.receivedAt, key.host, key.eventSeq, limit]);
    return rows.map((r) => ({ drift: toDriftView(r), receivedAt: Number(r.received_at) }));
  }

  /**
   * Applies the batch's new reports (planReports decides in memory what applying them in turn
   * leaves), reading the hosts' statuses and bundles in one statement each, and writing each
   * table in one statement on PostgreSQL (a row each on SQLite). The hosts' rows are locked:
   * their statuses change only here until the commit.
   */
  private async applyReports(
    reports: { host: string; report: ValidReport }[],
    now: number,
    changes: StoredChanges,
    tx: Queryable,
  ): Promise<void> {
    if (reports.length === 0) return;
    const hosts = [...new Set(reports.filter((r) => !r.report.dryRun).map((r) => r.host))];
    const stored =
      hosts.length === 0
        ? []
        : await tx.all<StoredStatus>(`${SQL.statusOf} ${jsonTextList(tx)}`, [JSON.stringify(hosts)]);
    const bundles = await this.bundles.currentPolicies(hosts, tx);
    const plan = planReports(reports, stored, bundles, now);
    changes.failures.push(...plan.failures);
    await this.insertReports(plan.reports, tx);
    await this.writeStatuses(plan.hosts, tx);
    await this.hosts.recordObservedMany(
      plan.hosts.flatMap((h) => (h.observed ? [{ host: h.host, ...h.observed }] : [])),
      now,
      tx,
    );
    await this.writeObservedPolicies(plan.hosts, now, tx);
  }

  private async insertReports(rows: ReportRow[], tx: Queryable): Promise<void> {
    if (tx.engine === "postgres") await tx.run(SQL.insertReportMany, [JSON.stringify(rows)]);
    else for (const row of rows) await tx.run(SQL.insertReport, { ...row });
  }

  /** Prunes after full runs, then upserts the hosts' new statuses. */
  private async writeStatuses(hosts: HostReportPlan[], tx: Queryable): Promise<void> {
    const prunes = hosts.filter((h) => h.pruneBelow !== undefined).map((h) => ({ host: h.host, below: h.pruneBelow! }));
    const rows: StatusRow[] = hosts.flatMap((h) => h.statuses);
    if (tx.engine === "postgres") {
      if (prunes.length > 0) await tx.run(SQL.pruneStatusMany, [JSON.stringify(prunes)]);
      if (rows.length > 0) await tx.run(SQL.upsertStatusMany, [JSON.stringify(rows)]);
      return;
    }
    for (const p of prunes) await tx.run(SQL.pruneStatus, [p.host, p.below]);
    for (const row of rows) await tx.run(SQL.upsertStatus, { ...row });
  }

  /** Replaces the observed policies of the hosts whose report named their current bundle. */
  private async writeObservedPolicies(hosts: HostReportPlan[], now: number, tx: Queryable): Promise<void> {
    const observed = hosts.filter((h) => h.observedPolicies !== undefined);
    if (observed.length === 0) return;
    await tx.run(`${SQL.clearObservedPolicies} ${jsonTextList(tx)}`, [JSON.stringify(observed.map((h) => h.host))]);
    const rows = observed.flatMap((h) =>
      h.observedPolicies!.policies.map((p) => ({
        host: h.host,
        name: p.name,
        revision: p.revision,
        generation: h.observedPolicies!.generation,
        now,
      })),
    );
    if (rows.length === 0) return;
    if (tx.engine === "postgres") await tx.run(SQL.observedPolicyMany, [JSON.stringify(rows)]);
    else for (const row of rows) await tx.run(SQL.observedPolicy, row);
  }

  /**
   * Applies the batch's new drift events in order: each replaces its id's state when the id
   * is new or the host's own and the event newer. The stored states are read in one
   * statement, the final state of each id written in one (PostgreSQL) or a row each (SQLite);
   * what the write did not store (an id another host created meanwhile) counts a conflict.
   */
  private async applyDrifts(
    pending: PendingDrift[],
    now: number,
    changes: StoredChanges,
    tx: Queryable,
  ): Promise<void> {
    if (pending.length === 0) return;
    const ids = [...new Set(pending.map((p) => p.drift.id))];
    const current = new Map<
      string,
      { host: string; eventSeq: number; remediation: string; resolvedAt: number | null }
    >();
    for (const r of await this.storedDrifts(ids, tx))
      current.set(r.id, { host: r.host, eventSeq: r.event_seq, remediation: r.remediation, resolvedAt: r.resolved_at });
    const writes = new Map<string, DriftRow>();
    const applied: DriftChange[] = [];
    for (const { host, drift: d } of pending) {
      const before = current.get(d.id);
      if (before && before.host !== host) {
        changes.conflicts += 1;
        continue;
      }
      if (before && before.eventSeq >= d.eventSeq) continue;
      writes.set(d.id, {
        id: d.id,
        host,
        eventSeq: d.eventSeq,
        policy: d.policy,
        kind: d.kind,
        name: d.name,
        fieldsJson: driftFieldsToText(d.fields),
        detectedAt: d.detectedAt,
        source: d.source,
        remediation: d.remediation,
        resolvedAt: d.resolvedAt,
        classification: d.classification,
        detail: d.detail,
        now,
      });
      current.set(d.id, { host, eventSeq: d.eventSeq, remediation: d.remediation, resolvedAt: d.resolvedAt });
      const notable = !before || before.remediation !== d.remediation || (before.resolvedAt ?? null) !== d.resolvedAt;
      applied.push({ drift: { ...d, host }, notable, created: !before });
    }
    // In id order: two transactions writing the same ids (two hosts reusing them) lock them in
    // one order and never wait for each other in a cycle.
    const rows = [...writes.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    const written = await this.writeDrifts(rows, tx);
    for (const c of applied) {
      if (written.has(c.drift.id)) changes.drift.push(c);
      else changes.conflicts += 1;
    }
  }

  private storedDrifts(ids: string[], tx: Queryable): Promise<DbDrift[]> {
    return tx.all<DbDrift>(`${SQL.driftsOf} ${jsonTextList(tx)}`, [JSON.stringify(ids)]);
  }

  /** Upserts `rows` (one per id); returns the ids the conditional write stored. */
  private async writeDrifts(rows: DriftRow[], tx: Queryable): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    if (tx.engine === "postgres")
      return new Set((await tx.all<{ id: string }>(SQL.upsertDriftMany, [JSON.stringify(rows)])).map((r) => r.id));
    const written = new Set<string>();
    for (const row of rows) if ((await tx.run(SQL.upsertDrift, { ...row })).changes > 0) written.add(row.id);
    return written;
  }
}
