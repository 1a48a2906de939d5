import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { AsyncDatabase, type SqliteDatabase } from "../../common/index.js";
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
  created_at: number;
  last_seen: number;
  expires_at: number;
}

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
 * The dashboard's sign-in links and sessions (tables web_signins, web_sessions; schema step 8).
 * Contracts:
 * - a link's token exists once, in `createSignIn`'s answer; it is exchanged at most once
 *   (`redeem` is one transaction: of two racing exchanges exactly one wins), within
 *   SIGNIN_TTL_MS of its creation;
 * - a session lives SESSION_MAX_AGE_MS from sign-in and ends after SESSION_IDLE_MS without a
 *   request; it survives a controller restart (it is in the store); `end` deletes it;
 * - only sha256 of tokens and cookie secrets is stored; the CSRF token is an HMAC of the cookie
 *   secret (csrfTokenOf), so it is never stored either.
 */
export class WebSessionStore {
  private readonly db: AsyncDatabase;

  constructor(
    handle: SqliteDatabase | AsyncDatabase,
    /** The clock (tests move it instead of sleeping). */
    readonly now: () => number = Date.now,
  ) {
    this.db = AsyncDatabase.of(handle);
  }

  /** A new one-time sign-in token for `user` with `role`, valid SIGNIN_TTL_MS. */
  async createSignIn(user: string, role: Role): Promise<{ token: string; expiresAt: number }> {
    const token = newSecret();
    const now = this.now();
    const expiresAt = now + SIGNIN_TTL_MS;
    await this.db.write((db) =>
      db
        .prepare("INSERT INTO web_signins (token_hash, user, role, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
        .run(sha256(token), user, role, now, expiresAt),
    );
    return { token, expiresAt };
  }

  /** Spends the sign-in token and opens a session, or says why not. */
  redeem(token: string): Promise<{ ok: true; session: OpenedSession } | { ok: false; reason: SignInRefusal }> {
    const now = this.now();
    if (!SECRET_SHAPE.test(token)) return Promise.resolve({ ok: false, reason: "unknown" });
    const hash = sha256(token);
    return this.db.transaction(() => {
      const db = this.db.connection;
      const row = db
        .prepare<[string], { user: string; role: string; expires_at: number; used_at: number | null }>(
          "SELECT user, role, expires_at, used_at FROM web_signins WHERE token_hash = ?",
        )
        .get(hash);
      if (!row || !ROLES.includes(row.role as Role)) return { ok: false as const, reason: "unknown" as const };
      if (row.used_at !== null) return { ok: false as const, reason: "used" as const };
      // Spent even when late: a link is never good twice.
      db.prepare("UPDATE web_signins SET used_at = ? WHERE token_hash = ?").run(now, hash);
      if (now > row.expires_at) return { ok: false as const, reason: "expired" as const };
      const secret = newSecret();
      const expiresAt = now + SESSION_MAX_AGE_MS;
      db.prepare(
        "INSERT INTO web_sessions (secret_hash, user, role, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(sha256(secret), row.user, row.role, now, now, expiresAt);
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
    const row = await this.db.read((db) =>
      db
        .prepare<[string], SessionRow>(
          "SELECT user, role, created_at, last_seen, expires_at FROM web_sessions WHERE secret_hash = ?",
        )
        .get(hash),
    );
    if (!row || !ROLES.includes(row.role as Role)) return undefined;
    if (now >= row.expires_at || now - row.last_seen >= SESSION_IDLE_MS) {
      await this.db.write((db) => db.prepare("DELETE FROM web_sessions WHERE secret_hash = ?").run(hash));
      return undefined;
    }
    if (now - row.last_seen >= TOUCH_EVERY_MS)
      await this.db.write((db) =>
        db.prepare("UPDATE web_sessions SET last_seen = ? WHERE secret_hash = ?").run(now, hash),
      );
    return { user: row.user, role: row.role as Role, csrf: csrfTokenOf(secret), secret, expiresAt: row.expires_at };
  }

  /** Signs out: the session is deleted (its cookie is worthless from now on). */
  async end(secret: string): Promise<void> {
    if (!SECRET_SHAPE.test(secret)) return;
    await this.db.write((db) => db.prepare("DELETE FROM web_sessions WHERE secret_hash = ?").run(sha256(secret)));
  }

  /** Ends every session of `user` (e.g. its admin certificate was revoked); returns how many. */
  async endAllOf(user: string): Promise<number> {
    return this.db.write((db) => db.prepare("DELETE FROM web_sessions WHERE user = ?").run(user).changes);
  }

  /** Forgets expired sessions and old sign-in links; returns how many rows went. */
  async prune(): Promise<number> {
    const now = this.now();
    return this.db.write(
      (db) =>
        db.prepare("DELETE FROM web_sessions WHERE expires_at <= ? OR last_seen <= ?").run(now, now - SESSION_IDLE_MS)
          .changes +
        db.prepare("DELETE FROM web_signins WHERE expires_at <= ?").run(now - KEEP_SPENT_SIGNINS_MS).changes,
    );
  }
}
