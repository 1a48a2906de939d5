import { jsonTextList, type Queryable } from "../../common/index.js";

/** One row of `plan_requests` (schema step 13). */
export interface StoredPlanRequest {
  id: string;
  host: string;
  /** The PlanBundle to dry-run, as JSON. */
  bundleJson: string;
  requestedBy: string;
  /** Store clock, ms. */
  deadline: number;
  /** The PlanAnswer as JSON once the holder answered, else null. */
  answerJson: string | null;
}

interface Row {
  id: string;
  host: string;
  bundle_json: string;
  requested_by: string;
  deadline: number;
  answer_json: string | null;
}

/** Rows one INSERT statement carries (6 parameters each). */
const INSERT_BATCH = 500;
const COLUMNS = "id, host, bundle_json, requested_by, deadline, answer_json";

const view = (r: Row): StoredPlanRequest => ({
  id: r.id,
  host: r.host,
  bundleJson: r.bundle_json,
  requestedBy: r.requested_by,
  deadline: Number(r.deadline),
  answerJson: r.answer_json,
});

/**
 * The owner of `plan_requests`: plan requests between controller replicas (PlanRouter).
 * Every statement is one round trip and needs no transaction: a row is written by its
 * requester (insert, delete), answered once by a holder (`answer` only fills an empty answer),
 * and pruned past its deadline.
 */
export class PlanRequestStore {
  constructor(private readonly db: Queryable) {}

  async insert(r: Omit<StoredPlanRequest, "answerJson">, createdAt: number): Promise<void> {
    await this.insertMany([r], createdAt);
  }

  /** Stores `rows` (INSERT_BATCH to a statement, in one transaction). */
  async insertMany(rows: readonly Omit<StoredPlanRequest, "answerJson">[], createdAt: number): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += INSERT_BATCH) {
        const chunk = rows.slice(i, i + INSERT_BATCH);
        await tx.run(
          `INSERT INTO plan_requests (id, host, bundle_json, requested_by, deadline, created_at) VALUES ${chunk
            .map(() => "(?, ?, ?, ?, ?, ?)")
            .join(", ")}`,
          chunk.flatMap((r) => [r.id, r.host, r.bundleJson, r.requestedBy, r.deadline, createdAt]),
        );
      }
    });
  }

  async get(id: string): Promise<StoredPlanRequest | undefined> {
    const r = await this.db.get<Row>(`SELECT ${COLUMNS} FROM plan_requests WHERE id = ?`, [id]);
    return r ? view(r) : undefined;
  }

  /** The rows of `ids` that exist, by id (one statement). */
  async getMany(ids: readonly string[]): Promise<Map<string, StoredPlanRequest>> {
    const out = new Map<string, StoredPlanRequest>();
    if (ids.length === 0) return out;
    const rows = await this.db.all<Row>(`SELECT ${COLUMNS} FROM plan_requests WHERE id IN ${jsonTextList(this.db)}`, [
      JSON.stringify(ids),
    ]);
    for (const r of rows) out.set(r.id, view(r));
    return out;
  }

  /** Requests not answered yet whose deadline is after `now`, oldest first. */
  async open(now: number): Promise<StoredPlanRequest[]> {
    const rows = await this.db.all<Row>(
      `SELECT ${COLUMNS} FROM plan_requests WHERE answer_json IS NULL AND deadline > ? ORDER BY created_at, id`,
      [now],
    );
    return rows.map(view);
  }

  /** Stores the answer unless the request has one (or is gone): true when this one was stored. */
  async answer(id: string, answerJson: string, at: number): Promise<boolean> {
    const r = await this.db.run(
      "UPDATE plan_requests SET answer_json = ?, answered_at = ? WHERE id = ? AND answer_json IS NULL",
      [answerJson, at, id],
    );
    return r.changes > 0;
  }

  async delete(id: string): Promise<void> {
    await this.deleteMany([id]);
  }

  async deleteMany(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.run(`DELETE FROM plan_requests WHERE id IN ${jsonTextList(this.db)}`, [JSON.stringify(ids)]);
  }

  /** Deletes the requests whose deadline is before `before`; how many. */
  async prune(before: number): Promise<number> {
    return (await this.db.run("DELETE FROM plan_requests WHERE deadline < ?", [before])).changes;
  }
}
