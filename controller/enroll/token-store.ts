import { hashTokenSecret, newTokenSecret } from "../../common/pki/index.js";
import { least, queryableOf, type Queryable, type SqliteDatabase } from "../../common/index.js";
import { matchesHostPattern } from "../../common/index.js";

export interface TokenGrant {
  /** Lifetime from now. */
  ttlMs: number;
  /** Only this host may enrol with it ("" = any). */
  host: string;
  /** Only hosts matching this inventory pattern ("" = any). */
  pattern: string;
  /** Enrolments it allows. */
  uses: number;
  /** Who made it (audit actor). */
  createdBy: string;
}

export type TokenUse = { ok: true; hash: string } | { ok: false; reason: string };

interface Row {
  host: string;
  pattern: string;
  uses: number;
  uses_left: number;
  expires_at: number;
}

/** Expired or used-up tokens are forgotten this long after (so a late retry still gets a precise refusal). */
const KEEP_SPENT_MS = 7 * 86_400_000;

/** The statements, one text for both engines (common/sql's dialect) but `refund`'s least(). */
const SQL = {
  insert:
    "INSERT INTO enrol_tokens (secret_hash, host, pattern, uses, uses_left, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  get: "SELECT host, pattern, uses, uses_left, expires_at FROM enrol_tokens WHERE secret_hash = ?",
  // The condition is in the write: of two enrolments racing for the last use (two replicas on
  // PostgreSQL, where READ COMMITTED re-checks the WHERE on the row's newest version after
  // waiting for the other's lock), exactly one changes the row; uses_left never goes below 0.
  spend: "UPDATE enrol_tokens SET uses_left = uses_left - 1 WHERE secret_hash = ? AND uses_left > 0",
  prune: "DELETE FROM enrol_tokens WHERE expires_at < ?",
};

/**
 * Enrolment tokens (table `enrol_tokens`). Only sha256 of a token's secret is stored; the
 * secret itself exists once, in `create`'s answer. `use` is atomic on either engine and
 * across controller replicas: of two enrolments racing for the last use, exactly one wins
 * (the spending UPDATE carries `uses_left > 0`); `uses_left` never goes below zero.
 */
export class TokenStore {
  private readonly db: Queryable;

  constructor(
    db: SqliteDatabase | Queryable,
    private readonly now: () => number = Date.now,
  ) {
    this.db = queryableOf(db);
  }

  async create(grant: TokenGrant): Promise<{ secret: string; expiresAt: number }> {
    const secret = newTokenSecret();
    const now = this.now();
    const expiresAt = now + grant.ttlMs;
    await this.db.run(SQL.insert, [
      hashTokenSecret(secret),
      grant.host,
      grant.pattern,
      grant.uses,
      grant.uses,
      now,
      expiresAt,
      grant.createdBy,
    ]);
    return { secret, expiresAt };
  }

  /** Spends one use of the token with `secret` for `host`, or says exactly why not. */
  async use(secret: string, host: string): Promise<TokenUse> {
    const hash = hashTokenSecret(secret);
    const now = this.now();
    // The binding checks read the row (host, pattern and expiry never change); the use itself
    // is the conditional UPDATE: no lock, no read-then-write window.
    const row = await this.db.get<Row>(SQL.get, [hash]);
    if (!row)
      return {
        ok: false,
        reason:
          "the enrolment token is not known to this controller (mistyped, revoked, or made by another controller)",
      };
    const spent: TokenUse = {
      ok: false,
      reason: `the enrolment token was already used (${row.uses === 1 ? "single-use" : `all ${row.uses} uses`}); create another with 'virtfleet token create'`,
    };
    if (row.uses_left <= 0) return spent;
    if (now >= row.expires_at)
      return {
        ok: false,
        reason: `the enrolment token expired at ${new Date(row.expires_at).toISOString()}; create another with 'virtfleet token create'`,
      };
    if (row.host && row.host !== host)
      return { ok: false, reason: `the enrolment token is for host "${row.host}", not "${host}"` };
    if (row.pattern && !safeMatch(row.pattern, host))
      return {
        ok: false,
        reason: `the enrolment token is for hosts matching "${row.pattern}", which "${host}" does not`,
      };
    const { changes } = await this.db.run(SQL.spend, [hash]);
    return changes === 1 ? { ok: true, hash } : spent;
  }

  /** Gives back a use spent by `use` when the enrolment failed after it (e.g. issuing failed); never above `uses`. */
  async refund(hash: string): Promise<void> {
    await this.db.run(
      `UPDATE enrol_tokens SET uses_left = ${least(this.db, "uses", "uses_left + 1")} WHERE secret_hash = ?`,
      [hash],
    );
  }

  /** Forgets tokens spent or expired for a week; returns how many. */
  async prune(): Promise<number> {
    return (await this.db.run(SQL.prune, [this.now() - KEEP_SPENT_MS])).changes;
  }
}

function safeMatch(pattern: string, host: string): boolean {
  try {
    return matchesHostPattern(pattern, host);
  } catch {
    return false;
  }
}
