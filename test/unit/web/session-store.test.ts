import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgDatabase } from "../../../common/postgres/index.js";
import {
  csrfMatches,
  SESSION_IDLE_MS,
  SESSION_MAX_AGE_MS,
  SIGNIN_TTL_MS,
  WebSessionStore,
} from "../../../controller/web/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

describe.each(ENGINES)("dashboard sign-in links and sessions on %s", (engine) => {
  let t: TestStore;
  let now = 1_000_000_000;
  let store: WebSessionStore;
  beforeAll(async () => {
    t = await openTestStore(engine);
    store = new WebSessionStore(t.db, () => now);
  });
  afterAll(() => t?.close());

  const dump = async (table: string) => JSON.stringify(await t.db.all(`SELECT * FROM ${table}`));

  describe("sign-in links", () => {
    it("sign in once, within 60 s, and store only hashes", async () => {
      expect(SIGNIN_TTL_MS).toBeLessThanOrEqual(60_000);
      const { token, expiresAt } = await store.createSignIn("alice", "operator");
      expect(expiresAt).toBe(now + SIGNIN_TTL_MS);
      const signins = await dump("web_signins");
      expect(signins).toContain("alice");
      expect(signins).not.toContain(token);
      const first = await store.redeem(token);
      expect(first).toMatchObject({ ok: true, session: { user: "alice", role: "operator" } });
      if (!first.ok) throw new Error("unreachable");
      const sessions = await dump("web_sessions");
      expect(sessions).toContain("alice");
      expect(sessions).not.toContain(first.session.secret);
      expect(await store.redeem(token)).toEqual({ ok: false, reason: "used" });
    });

    it("refuse a link after 60 s, and a token it never made", async () => {
      const { token } = await store.createSignIn("bob", "viewer");
      now += SIGNIN_TTL_MS + 1;
      expect(await store.redeem(token)).toEqual({ ok: false, reason: "expired" });
      // spent even though it was late
      expect(await store.redeem(token)).toEqual({ ok: false, reason: "used" });
      expect(await store.redeem("x".repeat(43))).toEqual({ ok: false, reason: "unknown" });
      expect(await store.redeem("'; DROP TABLE web_sessions; --")).toEqual({ ok: false, reason: "unknown" });
    });

    it("exactly one of two racing exchanges wins", async () => {
      const { token } = await store.createSignIn("carol", "viewer");
      const results = await Promise.all([store.redeem(token), store.redeem(token)]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: "used" }]);
    });
  });

  describe("sessions", () => {
    async function open(role: "viewer" | "admin" = "viewer", user = "dave") {
      const { token } = await store.createSignIn(user, role);
      const r = await store.redeem(token);
      if (!r.ok) throw new Error(r.reason);
      return r.session;
    }

    it("end after the idle time without requests", async () => {
      const s = await open();
      now += SESSION_IDLE_MS - 1_000;
      expect(await store.session(s.secret)).toMatchObject({ user: "dave" });
      now += SESSION_IDLE_MS - 1_000; // the last request restarted the idle clock
      expect(await store.session(s.secret)).toMatchObject({ user: "dave" });
      now += SESSION_IDLE_MS;
      expect(await store.session(s.secret)).toBeUndefined();
    });

    it("end after the maximum age however active", async () => {
      const s = await open();
      const end = now + SESSION_MAX_AGE_MS;
      while (now + SESSION_IDLE_MS / 2 < end) {
        now += SESSION_IDLE_MS / 2;
        expect(await store.session(s.secret)).toBeDefined();
      }
      now = end;
      expect(await store.session(s.secret)).toBeUndefined();
    });

    it("end at sign-out; unknown secrets are no session", async () => {
      const s = await open();
      await store.end(s.secret);
      expect(await store.session(s.secret)).toBeUndefined();
      expect(await store.session("nope")).toBeUndefined();
    });

    it("end every session of one user", async () => {
      const a = await open("admin", "erin");
      const b = await open("viewer", "erin");
      const other = await open("viewer", "frank");
      expect(await store.endAllOf("erin")).toBe(2);
      expect(await store.session(a.secret)).toBeUndefined();
      expect(await store.session(b.secret)).toBeUndefined();
      expect(await store.session(other.secret)).toMatchObject({ user: "frank" });
    });

    it("check the CSRF token exactly (derived from the secret, different per session)", async () => {
      const a = await open();
      const b = await open();
      expect(a.csrf).not.toBe(b.csrf);
      expect(csrfMatches(a, a.csrf)).toBe(true);
      expect(csrfMatches(a, b.csrf)).toBe(false);
      expect(csrfMatches(a, `${a.csrf}x`)).toBe(false);
      expect(csrfMatches(a, "")).toBe(false);
      expect(csrfMatches(a, null)).toBe(false);
      expect((await store.session(a.secret))?.csrf).toBe(a.csrf);
    });

    it("prune forgets expired sessions", async () => {
      await open();
      now += SESSION_MAX_AGE_MS + 1;
      expect(await store.prune()).toBeGreaterThan(0);
      expect(await t.db.get("SELECT COUNT(*) AS n FROM web_sessions")).toEqual({ n: 0 });
    });
  });
});

describe("dashboard sign-in links on PostgreSQL shared by two replicas", () => {
  let t: TestStore;
  let second: PgDatabase;
  beforeAll(async () => {
    t = await openTestStore("postgres");
    second = await PgDatabase.connect({ url: t.postgres!.url, max: 4 });
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
  });

  it("exactly one of two replicas exchanging one link at the same time wins", async () => {
    const a = new WebSessionStore(t.db);
    const b = new WebSessionStore(second);
    const links = await Promise.all(Array.from({ length: 40 }, (_, i) => a.createSignIn(`u${i}`, "viewer")));
    const outcomes = await Promise.all(links.map(({ token }) => Promise.all([a.redeem(token), b.redeem(token)])));
    for (const pair of outcomes) {
      expect(pair.filter((r) => r.ok)).toHaveLength(1);
      expect(pair.filter((r) => !r.ok)).toEqual([{ ok: false, reason: "used" }]);
    }
    // one session per link, whichever replica opened it, and valid on the other
    expect(await t.db.get("SELECT COUNT(*) AS n FROM web_sessions")).toEqual({ n: links.length });
    for (const pair of outcomes) {
      const won = pair.find((r) => r.ok);
      if (!won?.ok) throw new Error("unreachable");
      const other = pair[0] === won ? b : a;
      expect(await other.session(won.session.secret)).toMatchObject({ user: won.session.user });
    }
  });
});
