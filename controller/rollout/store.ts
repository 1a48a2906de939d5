import { AsyncDatabase, type Queryable, type SqliteDatabase } from "../../common/index.js";
import { RolloutConflictError } from "./errors.js";
import { isActive } from "./queries.js";
import type { Rollout, RolloutState } from "./types.js";

/** A rollout's row without its state (for listings). Times are ms since the epoch. */
export interface RolloutSummary {
  id: string;
  policy: string;
  fromRevision: string | null;
  toRevision: string;
  state: RolloutState;
  active: boolean;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

interface DbRollout {
  id: string;
  policy: string;
  from_revision: string | null;
  to_revision: string;
  state: string;
  active: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  state_json: string;
}

const toSummary = (r: DbRollout): RolloutSummary => ({
  id: r.id,
  policy: r.policy,
  fromRevision: r.from_revision,
  toRevision: r.to_revision,
  state: r.state as RolloutState,
  active: r.active === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

const toRollout = (r: DbRollout): Rollout => JSON.parse(r.state_json) as Rollout;

/**
 * Rollouts (table of migration 004), history kept. Contract: `load` returns exactly what
 * `save` stored (JSON round trip), so stepping a loaded rollout gives the same result as
 * stepping the saved one; at most one active rollout (isActive) per policy.
 */
export class RolloutStore {
  private readonly stmts;

  private readonly db: AsyncDatabase;

  constructor(handle: SqliteDatabase | AsyncDatabase) {
    this.db = AsyncDatabase.of(handle);
    const db = this.db.connection;
    this.stmts = {
      get: db.prepare<[string], DbRollout>("SELECT * FROM rollouts WHERE id = ?"),
      owner: db.prepare<[string], { policy: string }>("SELECT policy FROM rollouts WHERE id = ?"),
      activeId: db.prepare<[string], { id: string; state: string }>(
        "SELECT id, state FROM rollouts WHERE policy = ? AND active = 1",
      ),
      active: db.prepare<[string], DbRollout>("SELECT * FROM rollouts WHERE policy = ? AND active = 1"),
      allActive: db.prepare<[], DbRollout>("SELECT * FROM rollouts WHERE active = 1 ORDER BY policy"),
      latest: db.prepare<[string], DbRollout>(
        "SELECT * FROM rollouts WHERE policy = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
      ),
      history: db.prepare<[string, number], DbRollout>(
        "SELECT * FROM rollouts WHERE policy = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
      ),
      upsert: db.prepare(
        `INSERT INTO rollouts (id, policy, from_revision, to_revision, state, active, created_at, updated_at, finished_at, state_json)
         VALUES (@id, @policy, @fromRevision, @toRevision, @state, @active, @createdAt, @updatedAt, @finishedAt, @json)
         ON CONFLICT (id) DO UPDATE SET state = @state, active = @active, updated_at = @updatedAt, finished_at = @finishedAt, state_json = @json`,
      ),
    };
  }

  /**
   * Inserts or updates `r`; returns the JSON stored (what `load` parses). Throws
   * RolloutConflictError when another rollout of the policy is active, or the id names
   * another policy. The checks read no stored state (a 10,000-host rollout is ~1 MB of JSON).
   */
  save(r: Rollout, on: Queryable = this.db): Promise<string> {
    // What is stored is `r` as it is now, whenever the transaction runs.
    const json = JSON.stringify(r);
    const active = isActive(r);
    const row = {
      id: r.id,
      policy: r.policy,
      fromRevision: r.fromRevision,
      toRevision: r.toRevision,
      state: r.state,
      active: active ? 1 : 0,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      finishedAt: r.finishedAt,
      json,
    };
    return on.transaction(() => {
      const existing = this.stmts.owner.get(row.id);
      if (existing && existing.policy !== row.policy)
        throw new RolloutConflictError(`rollout ${row.id} belongs to policy ${existing.policy}, not ${row.policy}`);
      const other = active ? this.stmts.activeId.get(row.policy) : undefined;
      if (other && other.id !== row.id) {
        throw new RolloutConflictError(
          `policy ${row.policy} already has an active rollout (${other.id}, ${other.state}); abort or supersede it first`,
        );
      }
      this.stmts.upsert.run(row);
      return json;
    });
  }

  load(id: string, on: Queryable = this.db): Promise<Rollout | undefined> {
    return on.read(() => {
      const row = this.stmts.get.get(id);
      return row ? toRollout(row) : undefined;
    });
  }

  /** The policy's active rollout, if any. */
  active(policy: string, on: Queryable = this.db): Promise<Rollout | undefined> {
    return on.read(() => {
      const row = this.stmts.active.get(policy);
      return row ? toRollout(row) : undefined;
    });
  }

  /** Every active rollout, by policy: what a restarted controller resumes. */
  listActive(on: Queryable = this.db): Promise<Rollout[]> {
    return on.read(() => this.stmts.allActive.all().map(toRollout));
  }

  /** The policy's newest rollout, active or not (what `rollout status` shows). */
  latest(policy: string, on: Queryable = this.db): Promise<Rollout | undefined> {
    return on.read(() => {
      const row = this.stmts.latest.get(policy);
      return row ? toRollout(row) : undefined;
    });
  }

  /** The policy's rollouts, newest first, at most `limit`. */
  history(policy: string, limit: number, on: Queryable = this.db): Promise<RolloutSummary[]> {
    return on.read(() => this.stmts.history.all(policy, limit).map(toSummary));
  }
}
