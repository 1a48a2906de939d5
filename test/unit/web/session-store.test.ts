import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../../common/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";
import {
  csrfMatches,
  SESSION_IDLE_MS,
  SESSION_MAX_AGE_MS,
  SIGNIN_TTL_MS,
  WebSessionStore,
} from "../../../controller/web/index.js";
import { tempDir } from "../../harness/processes.js";

const dir = tempDir("vft-websessions-");
const db = openDatabase(`${dir.path}/c.db`, CONTROLLER_MIGRATIONS);
afterAll(() => {
  db.close();
  dir.cleanup();
});
let now = 1_000_000_000;
const store = new WebSessionStore(db, () => now);

describe("dashboard sign-in links", () => {
  it("sign in once, within 60 s, and store only hashes", async () => {
    expect(SIGNIN_TTL_MS).toBeLessThanOrEqual(60_000);
    const { token, expiresAt } = await store.createSignIn("alice", "operator");
    expect(expiresAt).toBe(now + SIGNIN_TTL_MS);
    const dump = JSON.stringify(db.prepare("SELECT * FROM web_signins").all());
    expect(dump).not.toContain(token);
    const first = await store.redeem(token);
    expect(first).toMatchObject({ ok: true, session: { user: "alice", role: "operator" } });
    if (!first.ok) throw new Error("unreachable");
    expect(JSON.stringify(db.prepare("SELECT * FROM web_sessions").all())).not.toContain(first.session.secret);
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
  });
});

describe("dashboard sessions", () => {
  async function open(role: "viewer" | "admin" = "viewer") {
    const { token } = await store.createSignIn("dave", role);
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
    expect(db.prepare("SELECT COUNT(*) AS n FROM web_sessions").get()).toEqual({ n: 0 });
  });
});
