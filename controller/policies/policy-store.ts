import { greatest, queryableOf, type PolicyIssue, type Queryable, type SqliteDatabase } from "../../common/index.js";
import type { RevisionPlan } from "./revisions.js";

/** One stored policy revision. Times are ms since the epoch. */
export interface PolicyRevisionRow {
  policy: string;
  revision: string;
  generation: number;
  file: string;
  source: string;
  mode: string;
  priority: number;
  createdAt: number;
  current: boolean;
  removedAt: number | null;
}

/** One load attempt of the policies folder. */
export interface PolicyLoadRow {
  loadedAt: number;
  accepted: boolean;
  errors: PolicyIssue[];
  files: string[];
  inventoryFile: string | null;
  inventorySource: string | null;
}

interface DbRevision {
  policy: string;
  revision: string;
  generation: number;
  file: string;
  source: string;
  mode: string;
  priority: number;
  created_at: number;
  current: number;
  removed_at: number | null;
}

interface DbLoad {
  loaded_at: number;
  accepted: number;
  errors_json: string;
  files_json: string;
  inventory_file: string | null;
  inventory_source: string | null;
}

const toRevision = (r: DbRevision): PolicyRevisionRow => ({
  policy: r.policy,
  revision: r.revision,
  generation: r.generation,
  file: r.file,
  source: r.source,
  mode: r.mode,
  priority: r.priority,
  createdAt: r.created_at,
  current: r.current === 1,
  removedAt: r.removed_at,
});

const toLoad = (r: DbLoad): PolicyLoadRow => ({
  loadedAt: r.loaded_at,
  accepted: r.accepted === 1,
  errors: JSON.parse(r.errors_json) as PolicyIssue[],
  files: JSON.parse(r.files_json) as string[],
  inventoryFile: r.inventory_file,
  inventorySource: r.inventory_source,
});

/** What an accepted load writes besides the plan. */
export interface AcceptedLoad {
  plan: RevisionPlan;
  /** Source text of each created policy, by policy name. */
  sources: ReadonlyMap<string, string>;
  files: readonly string[];
  inventory: { file: string; source: string } | null;
  now: number;
}

/**
 * The key of the transaction-level advisory lock (PostgreSQL, two-int key space, so it cannot
 * meet the migrations' one-bigint lock) every writer of policy revisions takes: 0x76660000
 * ("vf") and 2 (schema step 2, this table's).
 */
const REVISIONS_LOCK = [0x76660000, 2] as const;

/** The statements, one text for both engines (common/sql's dialect) unless built from `on`. */
const SQL = {
  inForce: "SELECT * FROM policy_revisions WHERE current = 1 ORDER BY policy",
  removed: "SELECT policy FROM policy_revisions GROUP BY policy HAVING MAX(current) = 0 ORDER BY policy",
  lastGeneration: "SELECT MAX(generation) AS g FROM policy_revisions WHERE policy = ?",
  revision: "SELECT * FROM policy_revisions WHERE policy = ? AND revision = ? ORDER BY generation DESC LIMIT 1",
  history: "SELECT * FROM policy_revisions WHERE policy = ? ORDER BY generation DESC LIMIT ?",
  lock: "SELECT pg_advisory_xact_lock(?, ?)",
  retire: "UPDATE policy_revisions SET current = 0 WHERE policy = ? AND current = 1",
  remove: "UPDATE policy_revisions SET current = 0, removed_at = ? WHERE policy = ? AND current = 1",
  /**
   * The new revision in force, at the planned generation or, when a concurrent writer already
   * took it, the next free one (never below MAX(generation) + 1 as stored now).
   */
  insert: (on: Queryable) =>
    `INSERT INTO policy_revisions (policy, revision, generation, file, source, mode, priority, created_at, current)
     VALUES (@policy, @revision,
       ${greatest(on, "@generation", "(SELECT COALESCE(MAX(generation), 0) + 1 FROM policy_revisions WHERE policy = @policy)")},
       @file, @source, @mode, @priority, @createdAt, 1)
     RETURNING generation`,
  load: `INSERT INTO policy_loads (loaded_at, accepted, errors_json, files_json, inventory_file, inventory_source)
     VALUES (?, ?, ?, ?, ?, ?)`,
  lastLoad: "SELECT * FROM policy_loads ORDER BY id DESC LIMIT 1",
  lastAccepted: "SELECT * FROM policy_loads WHERE accepted = 1 ORDER BY id DESC LIMIT 1",
};

/**
 * Policy revisions and load attempts (tables of migration 002).
 *
 * Concurrency (several controllers on one PostgreSQL): a policy's generations are unique
 * (UNIQUE (policy, generation)) and increase. `recordAccepted` holds a transaction-level
 * advisory lock (REVISIONS_LOCK) for its whole transaction, so writers of revisions run one
 * after the other, and computes each generation in its INSERT from MAX(generation) as
 * committed by the writers before it: a plan made from a stale `lastGeneration` gets the next
 * free generation instead of a duplicate. SQLite runs one transaction at a time anyway.
 */
export class PolicyStore {
  private readonly db: Queryable;

  constructor(handle: SqliteDatabase | Queryable) {
    this.db = queryableOf(handle);
  }

  /** The store's handle (the repository writes through `leadership.fenced(db)`). */
  get queryable(): Queryable {
    return this.db;
  }

  /** The revisions in force, by policy name. */
  async inForce(on: Queryable = this.db): Promise<PolicyRevisionRow[]> {
    return (await on.all<DbRevision>(SQL.inForce)).map(toRevision);
  }

  /** Policies with stored revisions but none in force (their files were deleted), sorted. */
  async removedPolicies(on: Queryable = this.db): Promise<string[]> {
    return (await on.all<{ policy: string }>(SQL.removed)).map((r) => r.policy);
  }

  /** The highest generation `policy` ever had (0 = none). */
  async lastGeneration(policy: string, on: Queryable = this.db): Promise<number> {
    return (await on.get<{ g: number | null }>(SQL.lastGeneration, [policy]))?.g ?? 0;
  }

  /** The newest stored row of `policy` with content `revision` (in force or not). */
  async revision(policy: string, revision: string, on: Queryable = this.db): Promise<PolicyRevisionRow | undefined> {
    const row = await on.get<DbRevision>(SQL.revision, [policy, revision]);
    return row ? toRevision(row) : undefined;
  }

  /** `policy`'s revisions, newest first, at most `limit`. */
  async history(policy: string, limit: number, on: Queryable = this.db): Promise<PolicyRevisionRow[]> {
    return (await on.all<DbRevision>(SQL.history, [policy, limit])).map(toRevision);
  }

  /**
   * Writes an accepted load in one transaction: new revisions in force, removed ones retired,
   * the attempt. Resolves with the generation each created policy was stored at, by name: the
   * planned one, or the next free one when another writer took it meanwhile (class comment).
   */
  recordAccepted(load: AcceptedLoad, on: Queryable = this.db): Promise<Map<string, number>> {
    return on.transaction(async (tx) => {
      if (tx.engine === "postgres") await tx.get(SQL.lock, [...REVISIONS_LOCK]);
      const stored = new Map<string, number>();
      for (const { policy, generation } of load.plan.created) {
        await tx.run(SQL.retire, [policy.name]);
        const row = await tx.get<{ generation: number }>(SQL.insert(tx), {
          policy: policy.name,
          revision: policy.revision,
          generation,
          file: policy.file,
          source: load.sources.get(policy.name) ?? "",
          mode: policy.mode,
          priority: policy.priority,
          createdAt: load.now,
        });
        stored.set(policy.name, row?.generation ?? generation);
      }
      for (const name of load.plan.removed) await tx.run(SQL.remove, [load.now, name]);
      await tx.run(SQL.load, [
        load.now,
        1,
        "[]",
        JSON.stringify(load.files),
        load.inventory?.file ?? null,
        load.inventory?.source ?? null,
      ]);
      return stored;
    });
  }

  /** Records a rejected load; nothing in force changes. */
  async recordRejected(
    errors: readonly PolicyIssue[],
    files: readonly string[],
    now: number,
    on: Queryable = this.db,
  ): Promise<void> {
    await on.run(SQL.load, [now, 0, JSON.stringify(errors), JSON.stringify(files), null, null]);
  }

  async lastLoad(on: Queryable = this.db): Promise<PolicyLoadRow | undefined> {
    const r = await on.get<DbLoad>(SQL.lastLoad);
    return r ? toLoad(r) : undefined;
  }

  async lastAcceptedLoad(on: Queryable = this.db): Promise<PolicyLoadRow | undefined> {
    const r = await on.get<DbLoad>(SQL.lastAccepted);
    return r ? toLoad(r) : undefined;
  }
}
