import { hashTokenSecret, newTokenSecret } from "../../common/pki/index.js";
import { AsyncDatabase, type SqliteDatabase } from "../../common/index.js";
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

/**
 * Enrolment tokens (table `enrol_tokens`). Only sha256 of a token's secret is stored; the
 * secret itself exists once, in `create`'s answer. `use` is atomic: of two enrolments racing
 * for the last use, exactly one wins.
 */
export class TokenStore {
  private readonly db: AsyncDatabase;

  constructor(
    db: SqliteDatabase | AsyncDatabase,
    private readonly now: () => number = Date.now,
  ) {
    this.db = AsyncDatabase.of(db);
  }

  async create(grant: TokenGrant): Promise<{ secret: string; expiresAt: number }> {
    const secret = newTokenSecret();
    const now = this.now();
    const expiresAt = now + grant.ttlMs;
    await this.db.write((db) =>
      db
        .prepare(
          "INSERT INTO enrol_tokens (secret_hash, host, pattern, uses, uses_left, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(
          hashTokenSecret(secret),
          grant.host,
          grant.pattern,
          grant.uses,
          grant.uses,
          now,
          expiresAt,
          grant.createdBy,
        ),
    );
    return { secret, expiresAt };
  }

  /** Spends one use of the token with `secret` for `host`, or says exactly why not. */
  use(secret: string, host: string): Promise<TokenUse> {
    const hash = hashTokenSecret(secret);
    const now = this.now();
    return this.db.transaction((): TokenUse => {
      const row = this.db.connection
        .prepare("SELECT host, pattern, uses, uses_left, expires_at FROM enrol_tokens WHERE secret_hash = ?")
        .get(hash) as Row | undefined;
      if (!row)
        return {
          ok: false,
          reason:
            "the enrolment token is not known to this controller (mistyped, revoked, or made by another controller)",
        };
      if (row.uses_left <= 0) {
        return {
          ok: false,
          reason: `the enrolment token was already used (${row.uses === 1 ? "single-use" : `all ${row.uses} uses`}); create another with 'virtfleet token create'`,
        };
      }
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
      this.db.connection.prepare("UPDATE enrol_tokens SET uses_left = uses_left - 1 WHERE secret_hash = ?").run(hash);
      return { ok: true, hash };
    });
  }

  /** Gives back a use spent by `use` when the enrolment failed after it (e.g. issuing failed). */
  async refund(hash: string): Promise<void> {
    await this.db.write((db) =>
      db.prepare("UPDATE enrol_tokens SET uses_left = MIN(uses, uses_left + 1) WHERE secret_hash = ?").run(hash),
    );
  }

  /** Forgets tokens spent or expired for a week; returns how many. */
  prune(): Promise<number> {
    const cutoff = this.now() - KEEP_SPENT_MS;
    return this.db.write((db) => db.prepare("DELETE FROM enrol_tokens WHERE expires_at < ?").run(cutoff).changes);
  }
}

function safeMatch(pattern: string, host: string): boolean {
  try {
    return matchesHostPattern(pattern, host);
  } catch {
    return false;
  }
}
