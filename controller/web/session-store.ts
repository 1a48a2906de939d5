import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { greatest, queryableOf, type Queryable, type SqliteDatabase } from "../../common/index.js";
import { ROLES, type Role } from "../auth/index.js";
import type { WebSession } from "./route.js";

/** How long a sign-in link may be exchanged for a session (the bound: ≤ 60 s). */
export const SIGNIN_TTL_MS = 60_000;
/** A session ends this long after sign-in, however active (sign in again with `virtfleet web login`). */
export const SESSION_MAX_AGE_MS = 12 * 3_600_000;
/** …or after this long without a request. */
export const SESSION_IDLE_MS = 2 * 3_600_000;
/** A session's last-seen time is written at most this often (not on every request). */
const TOUCH_EVERY_MS = 60_000;
/** Spent or expired sign-in links are forgotten this long after they expired. */
const KEEP_SPENT_SIGNINS_MS = 86_400_000;

/** Why a sign-in link was not exchanged for a session. */
export type SignInRefusal = "unknown" | "used" | "expired";

/** A session as the server holds it: the cookie's secret (never stored) and what it stands for. */
export interface OpenedSession extends WebSession {
  /** The cookie value (only its sha256 is stored). */
  secret: string;
  expiresAt: number;
}

interface SessionRow {
  user: string;
  role: string;
  last_seen: number;
  expires_at: number;
}

/**
 * The statements, one text for both engines (common/sql's dialect). The column `user` is a
 * reserved word on PostgreSQL: every statement writes it quoted, `"user"` (SQLite accepts that too).
 */
const SQL = {
  createSignIn: `INSERT INTO web_signins (token_hash, "user", role, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
  /**
   * Spends a link: the condition `used_at IS NULL` is in the write itself, so of two racing
   * exchanges (two replicas on PostgreSQL: the second UPDATE waits for the first to commit,
   * then finds used_at set) exactly one gets the row back. A late link is spent too (it is
   * never good twice); its lateness is judged on the returned expires_at.
   */
  spend: `UPDATE web_signins SET used_at = ? WHERE token_hash = ? AND used_at IS NULL
     RETURNING "user", role, expires_at`,
  signInExists: "SELECT 1 AS found FROM web_signins WHERE token_hash = ?",
  openSession: `INSERT INTO web_sessions (secret_hash, "user", role, created_at, last_seen, expires_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  session: `SELECT "user", role, last_seen, expires_at FROM web_sessions WHERE secret_hash = ?`,
  /**
   * Restarts a live session's idle clock. last_seen never goes back (a replica whose clock is
   * behind does not shorten a session) and a session already over is not revived: both
   * conditions are in the statement, whoever wrote the row meanwhile.
   */
  touch: (on: Queryable) =>
    `UPDATE web_sessions SET last_seen = ${greatest(on, "last_seen", "?")}
     WHERE secret_hash = ? AND expires_at > ? AND last_seen > ?`,
  /** Deletes a session that is over (the condition in the statement: not one touched meanwhile). */
  endOver: "DELETE FROM web_sessions WHERE secret_hash = ? AND (expires_at <= ? OR last_seen <= ?)",
  end: "DELETE FROM web_sessions WHERE secret_hash = ?",
  endAllOf: `DELETE FROM web_sessions WHERE "user" = ?`,
  pruneSessions: "DELETE FROM web_sessions WHERE expires_at <= ? OR last_seen <= ?",
  pruneSignIns: "DELETE FROM web_signins WHERE expires_at <= ?",
};

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const newSecret = () => randomBytes(32).toString("base64url");
/** Tokens and secrets this store makes: 43 base64url characters. */
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** The CSRF token of the session whose cookie secret is `secret`: derived, so nothing more is stored. */
export function csrfTokenOf(secret: string): string {
  return createHmac("sha256", secret).update("virtfleet-web-csrf").digest("base64url");
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: WebSession, submitted: string | null | undefined): boolean {
  if (typeof submitted !== "string") return false;
  const want = Buffer.from(session.csrf);
  const got = Buffer.from(submitted);
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * The dashboard's sign-in links and sessions (tables web_signins, web_sessions; schema step 8),
 * on either engine (common/sql Queryable); several controller replicas may share the store.
 * Contracts:
 * - a link's token exists once, in `createSignIn`'s answer; it is exchanged at most once, across
 *   replicas too (`redeem` spends it with one conditional UPDATE: of two racing exchanges
 *   exactly one wins), within SIGNIN_TTL_MS of its creation; a late exchange spends it too;
 * - a session lives SESSION_MAX_AGE_MS from sign-in and ends after SESSION_IDLE_MS without a
 *   request; it survives a controller restart and is valid on every replica (it is in the
 *   store); `end` deletes it;
 * - `session` (every dashboard request) is one SELECT; at most once per minute per session it
 *   also writes last_seen (which only moves forward);
 * - only sha256 of tokens and cookie secrets is stored; the CSRF token is an HMAC of the cookie
 *   secret (csrfTokenOf), so it is never stored either.
 */
export class WebSessionStore {
  private readonly db: Queryable;
  private readonly touchSql: string;

  constructor(
    handle: SqliteDatabase | Queryable,
    /** The clock (tests move it instead of sleeping). */
    readonly now: () => number = Date.now,
  ) {
    this.db = queryableOf(handle);
    this.touchSql = SQL.touch(this.db);
  }

  /** A new one-time sign-in token for `user` with `role`, valid SIGNIN_TTL_MS. */
  async createSignIn(user: string, role: Role): Promise<{ token: string; expiresAt: number }> {
    const token = newSecret();
    const now = this.now();
    const expiresAt = now + SIGNIN_TTL_MS;
    await this.db.run(SQL.createSignIn, [sha256(token), user, role, now, expiresAt]);
    return { token, expiresAt };
  }

  /**
   * Spends the sign-in token and opens a session, or says why not. One transaction: the spend
   * and the new session commit together.
   */
  redeem(token: string): Promise<{ ok: true; session: OpenedSession } | { ok: false; reason: SignInRefusal }> {
    const now = this.now();
    if (!SECRET_SHAPE.test(token)) return Promise.resolve({ ok: false, reason: "unknown" });
    const hash = sha256(token);
    return this.db.transaction(async (tx) => {
      const row = await tx.get<{ user: string; role: string; expires_at: number }>(SQL.spend, [now, hash]);
      if (!row) {
        const exists = await tx.get(SQL.signInExists, [hash]);
        return { ok: false as const, reason: exists ? ("used" as const) : ("unknown" as const) };
      }
      if (!ROLES.includes(row.role as Role)) return { ok: false as const, reason: "unknown" as const };
      if (now > row.expires_at) return { ok: false as const, reason: "expired" as const };
      const secret = newSecret();
      const expiresAt = now + SESSION_MAX_AGE_MS;
      await tx.run(SQL.openSession, [sha256(secret), row.user, row.role, now, now, expiresAt]);
      return {
        ok: true as const,
        session: { user: row.user, role: row.role as Role, csrf: csrfTokenOf(secret), secret, expiresAt },
      };
    });
  }

  /** The live session of a cookie secret (its idle clock restarted), or undefined (unknown, expired, idle too long). */
  async session(secret: string): Promise<OpenedSession | undefined> {
    if (!SECRET_SHAPE.test(secret)) return undefined;
    const hash = sha256(secret);
    const now = this.now();
    const idleSince = now - SESSION_IDLE_MS;
    const row = await this.db.get<SessionRow>(SQL.session, [hash]);
    if (!row || !ROLES.includes(row.role as Role)) return undefined;
    if (now >= row.expires_at || row.last_seen <= idleSince) {
      await this.db.run(SQL.endOver, [hash, now, idleSince]);
      return undefined;
    }
    if (now - row.last_seen >= TOUCH_EVERY_MS) await this.db.run(this.touchSql, [now, hash, now, idleSince]);
    return { user: row.user, role: row.role as Role, csrf: csrfTokenOf(secret), secret, expiresAt: row.expires_at };
  }

  /** Signs out: the session is deleted (its cookie is worthless from now on). */
  async end(secret: string): Promise<void> {
    if (!SECRET_SHAPE.test(secret)) return;
    await this.db.run(SQL.end, [sha256(secret)]);
  }

  /** Ends every session of `user` (e.g. its admin certificate was revoked); returns how many. */
  async endAllOf(user: string): Promise<number> {
    return (await this.db.run(SQL.endAllOf, [user])).changes;
  }

  /** Forgets expired sessions and old sign-in links; returns how many rows went. */
  async prune(): Promise<number> {
    const now = this.now();
    const sessions = await this.db.run(SQL.pruneSessions, [now, now - SESSION_IDLE_MS]);
    const signIns = await this.db.run(SQL.pruneSignIns, [now - KEEP_SPENT_SIGNINS_MS]);
    return sessions.changes + signIns.changes;
  }
}
