import { forUpdate, queryableOf, type Queryable, type SqliteDatabase } from "../../common/index.js";
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

/** The statements, one text for both engines (common/sql's dialect). */
const SQL = {
  get: "SELECT * FROM rollouts WHERE id = ?",
  owner: "SELECT policy FROM rollouts WHERE id = ?",
  activeId: "SELECT id, state FROM rollouts WHERE policy = ? AND active = 1",
  active: "SELECT * FROM rollouts WHERE policy = ? AND active = 1",
  allActive: "SELECT * FROM rollouts WHERE active = 1 ORDER BY policy",
  latest: "SELECT * FROM rollouts WHERE policy = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
  history: "SELECT * FROM rollouts WHERE policy = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
  upsert: `INSERT INTO rollouts (id, policy, from_revision, to_revision, state, active, created_at, updated_at, finished_at, state_json)
     VALUES (@id, @policy, @fromRevision, @toRevision, @state, @active, @createdAt, @updatedAt, @finishedAt, @json)
     ON CONFLICT (id) DO UPDATE SET state = excluded.state, active = excluded.active, updated_at = excluded.updated_at,
       finished_at = excluded.finished_at, state_json = excluded.state_json`,
};

/** The unique index `rollouts_one_active` (schema.ts) refused a row, on either engine. */
function isOneActiveViolation(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string } | undefined;
  if (e?.code === "23505") return e.constraint === "rollouts_one_active";
  return e?.code === "SQLITE_CONSTRAINT_UNIQUE" && /\brollouts\.policy\b/.test(e.message ?? "");
}

/**
 * Rollouts (table of migration 004), history kept. Contract: `load` returns exactly what
 * `save` stored (JSON round trip), so stepping a loaded rollout gives the same result as
 * stepping the saved one; at most one active rollout (isActive) per policy (on PostgreSQL the
 * policy's active row is locked while a save checks it).
 */
export class RolloutStore {
  private readonly db: Queryable;

  constructor(handle: SqliteDatabase | Queryable) {
    this.db = queryableOf(handle);
  }

  /**
   * Inserts or updates `r`; returns the JSON stored (what `load` parses). Throws
   * RolloutConflictError when another rollout of the policy is active, or the id names
   * another policy. The checks read no stored state (a 10,000-host rollout is ~1 MB of JSON).
   * `within(tx)`, when given, runs inside the saving transaction after the write (e.g. a
   * replica signal that must go out if and only if the save commits); its failure rolls the
   * save back.
   */
  save(r: Rollout, on: Queryable = this.db, within?: (tx: Queryable) => Promise<void>): Promise<string> {
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
    return on.transaction(async (tx) => {
      const existing = await tx.get<{ policy: string }>(SQL.owner + forUpdate(tx), [row.id]);
      if (existing && existing.policy !== row.policy)
        throw new RolloutConflictError(`rollout ${row.id} belongs to policy ${existing.policy}, not ${row.policy}`);
      const other = active
        ? await tx.get<{ id: string; state: string }>(SQL.activeId + forUpdate(tx), [row.policy])
        : undefined;
      if (other && other.id !== row.id) {
        throw new RolloutConflictError(
          `policy ${row.policy} already has an active rollout (${other.id}, ${other.state}); abort or supersede it first`,
        );
      }
      try {
        await tx.run(SQL.upsert, row);
      } catch (err) {
        // Another writer inserted an active rollout of the policy after the check above read
        // none (on PostgreSQL the check locks only rows that exist): the unique index refused.
        if (isOneActiveViolation(err))
          throw new RolloutConflictError(
            `policy ${row.policy} already has an active rollout (another writer stored one at the same time as ${row.id}); abort or supersede it first`,
          );
        throw err;
      }
      await within?.(tx);
      return json;
    });
  }

  async load(id: string, on: Queryable = this.db): Promise<Rollout | undefined> {
    const row = await on.get<DbRollout>(SQL.get, [id]);
    return row ? toRollout(row) : undefined;
  }

  /** The policy's active rollout, if any. */
  async active(policy: string, on: Queryable = this.db): Promise<Rollout | undefined> {
    const row = await on.get<DbRollout>(SQL.active, [policy]);
    return row ? toRollout(row) : undefined;
  }

  /** Every active rollout, by policy: what a restarted controller resumes. */
  async listActive(on: Queryable = this.db): Promise<Rollout[]> {
    return (await on.all<DbRollout>(SQL.allActive)).map(toRollout);
  }

  /** The policy's newest rollout, active or not (what `rollout status` shows). */
  async latest(policy: string, on: Queryable = this.db): Promise<Rollout | undefined> {
    const row = await on.get<DbRollout>(SQL.latest, [policy]);
    return row ? toRollout(row) : undefined;
  }

  /** The policy's rollouts, newest first, at most `limit`. */
  async history(policy: string, limit: number, on: Queryable = this.db): Promise<RolloutSummary[]> {
    return (await on.all<DbRollout>(SQL.history, [policy, limit])).map(toSummary);
  }
}
