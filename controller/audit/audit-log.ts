import {
  canonicalJson,
  queryableOf,
  ValidationError,
  type Queryable,
  type SqliteDatabase,
} from "../../common/index.js";
import { auditHash, GENESIS_HASH } from "./hash.js";
import { redactSecrets } from "./redact.js";
import type { AuditEntry, AuditQuery, AuditRecord, AuditSink, AuditVerification } from "./types.js";

export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 10_000;
/** Longest stored actor / target (longer ones are clipped with "…"). */
export const MAX_ACTOR_CHARS = 256;
export const MAX_TARGET_CHARS = 512;
/** A detail whose canonical JSON is longer is stored as `{"truncated":true,"chars":N}`. */
export const MAX_DETAIL_CHARS = 8_192;

/** `noun.verb`, lower case: rollout.pause, token.create, policy.revision. */
const ACTION = /^[a-z][a-z0-9-]{0,31}(\.[a-z][a-z0-9-]{0,31}){1,2}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

interface Row {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail_json: string;
  prev_hash: string;
  hash: string;
}

const toRecord = (r: Row): AuditRecord => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  target: r.target,
  detailJson: r.detail_json,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** Control characters become visible `\uXXXX` text (no log injection into a terminal); long text is clipped. */
function clean(text: string, max: number): string {
  const visible = text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return visible.length > max ? `${visible.slice(0, max - 1)}…` : visible;
}

function detailJson(detail: Record<string, unknown> | undefined): string {
  let text: string;
  try {
    text = canonicalJson(redactSecrets(detail ?? {}));
  } catch (err) {
    // Not representable as JSON (a bigint, a cycle): record that rather than lose the event.
    text = canonicalJson({ unrepresentable: (err as Error).message });
  }
  return text.length > MAX_DETAIL_CHARS ? canonicalJson({ truncated: true, chars: text.length }) : text;
}

/** The statements, one text for both engines (common/sql's dialect). */
const SQL = {
  last: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
  insert:
    "INSERT INTO audit_log (seq, at, actor, action, target, detail_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  head: "SELECT * FROM audit_log ORDER BY seq LIMIT ?",
  chunk: "SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
  list: "SELECT * FROM audit_log WHERE at >= ? ORDER BY seq DESC LIMIT ?",
  listBefore: "SELECT * FROM audit_log WHERE at >= ? AND seq < ? ORDER BY seq DESC LIMIT ?",
  /**
   * PostgreSQL: the appenders' lock, held to the end of the appending transaction (the
   * caller's, when it passed one). Every replica's appends queue on it, so reading the last
   * record and inserting the next cannot interleave: the chain never forks and seq grows by
   * one. (FOR UPDATE on the last row would not do: the first append has no row to lock, and
   * a waiter would wake on a row that is no longer the last.) SQLite runs one transaction at
   * a time and needs no lock.
   */
  lock: "SELECT pg_advisory_xact_lock(hashtext('virtfleet.audit_log'))",
};

/**
 * The controller's audit log (table audit_log, migration 006): append-only and hash-chained.
 *
 * Contracts:
 * - `append` is atomic: it reads the last record and inserts the next one (seq + 1,
 *   prev_hash = its hash) in one transaction, or in the caller's transaction when given one
 *   (a savepoint: the record commits or rolls back with the caller's work). Appends are
 *   serialized on both engines and across controller replicas (SQLite: one transaction at a
 *   time; PostgreSQL: a transaction-scoped advisory lock, SQL.lock), so the chain never forks
 *   and seq is strictly increasing with no gap. One controller's appends that are not part
 *   of a caller's transaction are stored in the order `append` was called (SQLite: the FIFO
 *   gate; PostgreSQL: they wait for each other). The record's time is taken once its turn
 *   has come. It resolves once committed; an action not shaped `noun.verb` throws at once
 *   (a programming error).
 * - Queries (`list`, `verify`, `verifyAsync`) return Promises and see every append this
 *   AuditLog was asked for before them (its own, not a caller's uncommitted transaction).
 * - Details are redacted (redactSecrets) before hashing and storing: no secret is ever
 *   written. Actor and target have control characters escaped and are clipped.
 * - There is no update or delete API; triggers abort UPDATE/DELETE (and TRUNCATE on
 *   PostgreSQL) on the table, and `verify` recomputes the chain, so edits made behind the
 *   triggers' back are found.
 * - Known limit of any unanchored chain: removing the newest records (truncating the tail)
 *   leaves a valid shorter chain. Ship the records elsewhere to detect that.
 */
export class AuditLog implements AuditSink {
  private readonly db: Queryable;
  /** The last of this controller's own appends (PostgreSQL: they run one after the other). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    handle: SqliteDatabase | Queryable,
    private readonly now: () => number = Date.now,
  ) {
    this.db = queryableOf(handle);
  }

  /** Records one event and returns it as stored. An action not shaped `noun.verb` is a ValidationError (a programming error). */
  append(entry: AuditEntry, on: Queryable = this.db): Promise<AuditRecord> {
    if (!ACTION.test(entry.action))
      throw new ValidationError(`audit action ${JSON.stringify(entry.action)} must look like noun.verb (lower case)`);
    const fields = {
      actor: clean(entry.actor, MAX_ACTOR_CHARS),
      action: entry.action,
      target: clean(entry.target, MAX_TARGET_CHARS),
      detailJson: detailJson(entry.detail),
    };
    // PostgreSQL runs the pool's transactions concurrently: this controller's own appends wait
    // for each other, so they are stored in call order, as SQLite's FIFO gate stores them.
    if (on !== this.db || on.engine === "sqlite") return this.write(fields, on);
    const appended = this.tail.then(() => this.write(fields, on));
    this.tail = appended.catch(() => undefined);
    return appended;
  }

  private write(fields: Omit<AuditRecord, "seq" | "at" | "prevHash" | "hash">, on: Queryable): Promise<AuditRecord> {
    return on.transaction(async (tx) => {
      if (tx.engine === "postgres") await tx.get(SQL.lock);
      const last = await tx.get<Pick<Row, "seq" | "hash">>(SQL.last);
      const unhashed = {
        seq: (last?.seq ?? 0) + 1,
        at: new Date(this.now()).toISOString(),
        ...fields,
        prevHash: last?.hash ?? GENESIS_HASH,
      };
      const record: AuditRecord = { ...unhashed, hash: auditHash(unhashed) };
      await tx.run(SQL.insert, [
        record.seq,
        record.at,
        record.actor,
        record.action,
        record.target,
        record.detailJson,
        record.prevHash,
        record.hash,
      ]);
      return record;
    });
  }

  /** The newest `limit` records at or after `since` (and below `beforeSeq`, when given), oldest first. */
  async list(query: AuditQuery = {}): Promise<AuditRecord[]> {
    const limit = Math.max(1, Math.min(Math.trunc(query.limit || DEFAULT_AUDIT_LIMIT), MAX_AUDIT_LIMIT));
    const since = query.since === undefined ? "" : new Date(query.since).toISOString();
    const before = query.beforeSeq;
    await this.tail;
    const rows =
      before === undefined
        ? await this.db.all<Row>(SQL.list, [since, limit])
        : await this.db.all<Row>(SQL.listBefore, [since, before, limit]);
    return rows.reverse().map(toRecord);
  }

  /**
   * Walks every record in seq order and stops at the first that does not verify: its seq
   * must follow the previous one's (a gap means deleted records), its prev_hash must equal
   * the previous record's hash (GENESIS_HASH first), and its hash must equal the hash
   * recomputed from its fields (an edit, or a record moved to another seq).
   * Each chunk is one read; see verifyAsync for the controller's event loop.
   */
  async verify(): Promise<AuditVerification> {
    await this.tail;
    const walk = new ChainWalk();
    while (!walk.finished) await this.step(walk);
    return walk.result();
  }

  /**
   * `verify`, VERIFY_CHUNK records at a time with the event loop free in between (about
   * 20 µs a record: a long log must not stall agent heartbeats). Records appended during the
   * walk are checked too.
   */
  async verifyAsync(): Promise<AuditVerification> {
    await this.tail;
    const walk = new ChainWalk();
    while (!walk.finished) {
      await this.step(walk);
      if (!walk.finished) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return walk.result();
  }

  private async step(walk: ChainWalk): Promise<void> {
    // The first step reads from the lowest seq there is, so a row slipped in below 1 is seen.
    const rows =
      walk.checked === 0
        ? await this.db.all<Row>(SQL.head, [VERIFY_CHUNK])
        : await this.db.all<Row>(SQL.chunk, [walk.lastSeq, VERIFY_CHUNK]);
    for (const row of rows) if (!walk.check(toRecord(row))) return;
    if (rows.length < VERIFY_CHUNK) walk.finish();
  }
}

/** Records read per step of a verification. */
export const VERIFY_CHUNK = 5_000;

/** The state of one verification: where it is, and the first problem found. */
class ChainWalk {
  checked = 0;
  lastSeq = 0;
  finished = false;
  private prevHash = GENESIS_HASH;
  private bad: { seq: number; problem: string } | null = null;

  /** Checks the next record; false (and finished) at the first one that does not verify. */
  check(r: AuditRecord): boolean {
    this.checked++;
    const expectedSeq = this.lastSeq + 1;
    if (r.seq !== expectedSeq) {
      const missing =
        r.seq > expectedSeq
          ? r.seq - expectedSeq === 1
            ? `record ${expectedSeq} is`
            : `records ${expectedSeq}–${r.seq - 1} are`
          : "";
      return this.fail(
        r.seq,
        missing
          ? `${missing} missing before record ${r.seq} (deleted)`
          : `record ${r.seq} is out of sequence (expected ${expectedSeq})`,
      );
    }
    if (r.prevHash !== this.prevHash) {
      return this.fail(
        r.seq,
        `record ${r.seq} does not link to record ${r.seq - 1}: prev_hash ${short(r.prevHash)} ≠ ${short(this.prevHash)} (a record before it was changed, replaced or removed)`,
      );
    }
    if (auditHash(r) !== r.hash)
      return this.fail(r.seq, `record ${r.seq} was modified: its hash does not match its content`);
    this.prevHash = r.hash;
    this.lastSeq = r.seq;
    return true;
  }

  finish(): void {
    this.finished = true;
  }

  result(): AuditVerification {
    return this.bad
      ? { ok: false, checked: this.checked, firstBadSeq: this.bad.seq, problem: this.bad.problem }
      : { ok: true, checked: this.checked, firstBadSeq: null, problem: null };
  }

  private fail(seq: number, problem: string): false {
    this.bad = { seq, problem };
    this.finished = true;
    return false;
  }
}

const short = (hash: string) => (hash.length > 12 ? `${hash.slice(0, 12)}…` : JSON.stringify(hash));
