import { AsyncDatabase, type Queryable, type SqliteDatabase, type Transaction } from "../../common/index.js";
import type { AgentEvent, DriftView, Outcome, ValidDrift, ValidReport } from "../agent-messages/index.js";
import { driftFieldsFromText, driftFieldsToText, emptyOutcomeCounts } from "../../common/wire/index.js";
import { HostBundleStore } from "../bundles/index.js";
import { HostObservations } from "../hosts/index.js";

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

/** Triggers whose report covers every resource of the bundle: rows not in it are removed. */
const FULL_RUN_TRIGGERS = new Set(["bundle", "resync", "startup"]);

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

/**
 * Reports and drift events in the controller's store (migration 003). Contract:
 * - each (host, event_seq) is applied once: events at or below hosts.last_event_seq are
 *   counted as duplicates and change nothing, so replays after a reconnect are idempotent;
 * - a drift event replaces the stored state of its id only when its event_seq is newer and
 *   the id belongs to the same host;
 * - a non-dry-run report sets resource_status (latest per host/kind/name) and the host's
 *   observed generation/revision; a full run (trigger bundle|resync|startup) also removes the
 *   host's resources it no longer mentions;
 * - when the report names the bundle revision the controller holds for the host
 *   (host_bundles), that bundle's policy revisions become the host's observed ones.
 * The hosts' columns (last event_seq, observed generation) are written through their owner,
 * controller/hosts HostObservations; the bundle is read through controller/bundles.
 */
export class EventStore {
  private readonly stmts;
  private readonly hosts: HostObservations;
  private readonly bundles: HostBundleStore;
  private readonly db: AsyncDatabase;

  constructor(handle: SqliteDatabase | AsyncDatabase) {
    this.db = AsyncDatabase.of(handle);
    const db = this.db.connection;
    this.hosts = new HostObservations(db);
    this.bundles = new HostBundleStore(db);
    this.stmts = {
      insertReport: db.prepare(
        `INSERT OR IGNORE INTO reports (host, event_seq, generation, revision, trigger_kind, started_at, duration_ms, dry_run, summary_json, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      status: db.prepare<[string, string, string], { outcome: string; error: string }>(
        "SELECT outcome, error FROM resource_status WHERE host = ? AND kind = ? AND name = ?",
      ),
      upsertStatus: db.prepare(
        `INSERT INTO resource_status (host, policy, kind, name, outcome, changes_json, error, pending_restart, generation, event_seq, updated_at)
         VALUES (@host, @policy, @kind, @name, @outcome, @changesJson, @error, @pendingRestart, @generation, @eventSeq, @now)
         ON CONFLICT (host, kind, name) DO UPDATE SET policy = excluded.policy, outcome = excluded.outcome,
           changes_json = excluded.changes_json, error = excluded.error, pending_restart = excluded.pending_restart,
           generation = excluded.generation, event_seq = excluded.event_seq, updated_at = excluded.updated_at`,
      ),
      pruneStatus: db.prepare("DELETE FROM resource_status WHERE host = ? AND event_seq < ?"),
      clearObservedPolicies: db.prepare("DELETE FROM host_observed_policies WHERE host = ?"),
      observedPolicy: db.prepare(
        "INSERT INTO host_observed_policies (host, policy, revision, generation, observed_at) VALUES (?, ?, ?, ?, ?)",
      ),
      drift: db.prepare<[string], DbDrift>("SELECT * FROM drift_events WHERE id = ?"),
      upsertDrift: db.prepare(
        `INSERT INTO drift_events (id, host, event_seq, policy, kind, name, fields_json, detected_at, source, remediation, resolved_at, classification, detail, received_at)
         VALUES (@id, @host, @eventSeq, @policy, @kind, @name, @fieldsJson, @detectedAt, @source, @remediation, @resolvedAt, @classification, @detail, @now)
         ON CONFLICT (id) DO UPDATE SET event_seq = excluded.event_seq, policy = excluded.policy, kind = excluded.kind,
           name = excluded.name, fields_json = excluded.fields_json, detected_at = excluded.detected_at, source = excluded.source,
           remediation = excluded.remediation, resolved_at = excluded.resolved_at, classification = excluded.classification,
           detail = excluded.detail, received_at = excluded.received_at
         WHERE drift_events.host = excluded.host AND excluded.event_seq > drift_events.event_seq`,
      ),
    };
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
    withinTransaction?: (changes: StoredChanges, tx: Transaction) => void | Promise<void>,
  ): Promise<StoredChanges> {
    return this.db.transaction(async (tx): Promise<StoredChanges> => {
      const changes: StoredChanges = { drift: [], failures: [], lastEventSeq: new Map(), duplicates: 0, conflicts: 0 };
      for (const { host, events } of batch) {
        let last = changes.lastEventSeq.get(host) ?? (await this.hosts.lastEventSeq(host, tx)) ?? 0;
        for (const e of events) {
          if (e.eventSeq <= last) {
            changes.duplicates += 1;
            continue;
          }
          if (e.type === "report") await this.applyReport(host, e.report, now, changes, tx);
          else this.applyDrift(host, e.drift, now, changes);
          last = e.eventSeq;
        }
        await this.hosts.advanceEventSeq(host, last, tx);
        changes.lastEventSeq.set(host, last);
      }
      await withinTransaction?.(changes, tx);
      return changes;
    });
  }

  /** How many drift events are unresolved (open drift: the dashboard's overview). */
  countOpenDrift(on: Queryable = this.db): Promise<number> {
    return on.read(
      (db) =>
        db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM drift_events WHERE resolved_at IS NULL").get()?.n ?? 0,
    );
  }

  /** Drift events, oldest first; the newest `limit` when more match. */
  listDrift(q: DriftQuery, on: Queryable = this.db): Promise<DriftView[]> {
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
    return on.read((db) =>
      db
        .prepare<(string | number)[], DbDrift>(sql)
        .all(...args, q.limit)
        .reverse()
        .map(toDriftView),
    );
  }

  private async applyReport(
    host: string,
    r: ValidReport,
    now: number,
    changes: StoredChanges,
    tx: Transaction,
  ): Promise<void> {
    const summary: Record<Outcome, number> = emptyOutcomeCounts();
    for (const o of r.resources) summary[o.outcome] += 1;
    this.stmts.insertReport.run(
      host,
      r.eventSeq,
      r.generation,
      r.bundleRevision,
      r.trigger,
      r.startedAt,
      r.durationMs,
      r.dryRun ? 1 : 0,
      JSON.stringify(summary),
      now,
    );
    if (r.dryRun) return;
    for (const o of r.resources) {
      const before = this.stmts.status.get(host, o.kind, o.name);
      // Failed and refused (blocked/conflict) resources alert once per new error.
      const failing = o.outcome === "failed" || o.outcome === "blocked" || o.outcome === "conflict";
      if (failing && (before?.outcome !== o.outcome || before.error !== o.error)) {
        changes.failures.push({
          host,
          policy: o.policy,
          kind: o.kind,
          name: o.name,
          error: o.error,
          eventSeq: r.eventSeq,
          at: r.startedAt + r.durationMs,
        });
      }
      this.stmts.upsertStatus.run({
        host,
        policy: o.policy,
        kind: o.kind,
        name: o.name,
        outcome: o.outcome,
        changesJson: o.changesJson,
        error: o.error,
        pendingRestart: o.pendingRestart ? 1 : 0,
        generation: r.generation,
        eventSeq: r.eventSeq,
        now,
      });
    }
    if (FULL_RUN_TRIGGERS.has(r.trigger)) this.stmts.pruneStatus.run(host, r.eventSeq);
    await this.hosts.recordObserved(host, r.generation, r.bundleRevision, now, tx);
    const policies = await this.bundles.policiesAt(host, r.bundleRevision, tx);
    if (policies) {
      this.stmts.clearObservedPolicies.run(host);
      for (const p of policies) this.stmts.observedPolicy.run(host, p.name, p.revision, r.generation, now);
    }
  }

  private applyDrift(host: string, d: ValidDrift, now: number, changes: StoredChanges): void {
    const before = this.stmts.drift.get(d.id);
    if (before && before.host !== host) {
      changes.conflicts += 1;
      return;
    }
    if (before && before.event_seq >= d.eventSeq) return;
    this.stmts.upsertDrift.run({ ...d, host, fieldsJson: driftFieldsToText(d.fields), now });
    const notable = !before || before.remediation !== d.remediation || (before.resolved_at ?? null) !== d.resolvedAt;
    changes.drift.push({ drift: { ...d, host }, notable, created: !before });
  }
}
