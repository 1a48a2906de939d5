import { AsyncDatabase, type PolicyIssue, type Queryable, type SqliteDatabase } from "../../common/index.js";
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

/** Policy revisions and load attempts (tables of migration 002). */
export class PolicyStore {
  private readonly stmts;

  private readonly db: AsyncDatabase;

  constructor(handle: SqliteDatabase | AsyncDatabase) {
    this.db = AsyncDatabase.of(handle);
    const db = this.db.connection;
    this.stmts = {
      inForce: db.prepare<[], DbRevision>("SELECT * FROM policy_revisions WHERE current = 1 ORDER BY policy"),
      removed: db.prepare<[], { policy: string }>(
        "SELECT policy FROM policy_revisions GROUP BY policy HAVING MAX(current) = 0 ORDER BY policy",
      ),
      lastGeneration: db.prepare<[string], { g: number | null }>(
        "SELECT MAX(generation) AS g FROM policy_revisions WHERE policy = ?",
      ),
      revision: db.prepare<[string, string], DbRevision>(
        "SELECT * FROM policy_revisions WHERE policy = ? AND revision = ? ORDER BY generation DESC LIMIT 1",
      ),
      history: db.prepare<[string, number], DbRevision>(
        "SELECT * FROM policy_revisions WHERE policy = ? ORDER BY generation DESC LIMIT ?",
      ),
      retire: db.prepare("UPDATE policy_revisions SET current = 0 WHERE policy = ? AND current = 1"),
      remove: db.prepare("UPDATE policy_revisions SET current = 0, removed_at = ? WHERE policy = ? AND current = 1"),
      insert: db.prepare(
        `INSERT INTO policy_revisions (policy, revision, generation, file, source, mode, priority, created_at, current)
         VALUES (@policy, @revision, @generation, @file, @source, @mode, @priority, @createdAt, 1)`,
      ),
      load: db.prepare(
        `INSERT INTO policy_loads (loaded_at, accepted, errors_json, files_json, inventory_file, inventory_source)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      lastLoad: db.prepare<[], DbLoad>("SELECT * FROM policy_loads ORDER BY id DESC LIMIT 1"),
      lastAccepted: db.prepare<[], DbLoad>("SELECT * FROM policy_loads WHERE accepted = 1 ORDER BY id DESC LIMIT 1"),
    };
  }

  /** The revisions in force, by policy name. */
  inForce(on: Queryable = this.db): Promise<PolicyRevisionRow[]> {
    return on.read(() => this.stmts.inForce.all().map(toRevision));
  }

  /** Policies with stored revisions but none in force (their files were deleted), sorted. */
  removedPolicies(on: Queryable = this.db): Promise<string[]> {
    return on.read(() => this.stmts.removed.all().map((r) => r.policy));
  }

  /** The highest generation `policy` ever had (0 = none). */
  lastGeneration(policy: string, on: Queryable = this.db): Promise<number> {
    return on.read(() => this.stmts.lastGeneration.get(policy)?.g ?? 0);
  }

  /** The newest stored row of `policy` with content `revision` (in force or not). */
  revision(policy: string, revision: string, on: Queryable = this.db): Promise<PolicyRevisionRow | undefined> {
    return on.read(() => {
      const row = this.stmts.revision.get(policy, revision);
      return row ? toRevision(row) : undefined;
    });
  }

  /** `policy`'s revisions, newest first, at most `limit`. */
  history(policy: string, limit: number, on: Queryable = this.db): Promise<PolicyRevisionRow[]> {
    return on.read(() => this.stmts.history.all(policy, limit).map(toRevision));
  }

  /** Writes an accepted load in one transaction: new revisions in force, removed ones retired, the attempt. */
  recordAccepted(load: AcceptedLoad, on: Queryable = this.db): Promise<void> {
    return on.transaction(() => {
      for (const { policy, generation } of load.plan.created) {
        this.stmts.retire.run(policy.name);
        this.stmts.insert.run({
          policy: policy.name,
          revision: policy.revision,
          generation,
          file: policy.file,
          source: load.sources.get(policy.name) ?? "",
          mode: policy.mode,
          priority: policy.priority,
          createdAt: load.now,
        });
      }
      for (const name of load.plan.removed) this.stmts.remove.run(load.now, name);
      this.stmts.load.run(
        load.now,
        1,
        "[]",
        JSON.stringify(load.files),
        load.inventory?.file ?? null,
        load.inventory?.source ?? null,
      );
    });
  }

  /** Records a rejected load; nothing in force changes. */
  recordRejected(
    errors: readonly PolicyIssue[],
    files: readonly string[],
    now: number,
    on: Queryable = this.db,
  ): Promise<void> {
    return on.write(() => {
      this.stmts.load.run(now, 0, JSON.stringify(errors), JSON.stringify(files), null, null);
    });
  }

  lastLoad(on: Queryable = this.db): Promise<PolicyLoadRow | undefined> {
    return on.read(() => {
      const r = this.stmts.lastLoad.get();
      return r ? toLoad(r) : undefined;
    });
  }

  lastAcceptedLoad(on: Queryable = this.db): Promise<PolicyLoadRow | undefined> {
    return on.read(() => {
      const r = this.stmts.lastAccepted.get();
      return r ? toLoad(r) : undefined;
    });
  }
}
