import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashTokenSecret } from "../../../common/pki/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import { TokenStore } from "../../../controller/enroll/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

describe.each(ENGINES)("the token store (%s)", { timeout: 60_000 }, (engine) => {
  let store: TestStore;
  let tokens: TokenStore;
  let now = 1_000_000;
  const grant = { ttlMs: 60_000, host: "", pattern: "", uses: 1, createdBy: "admin:admin" };
  beforeAll(async () => {
    store = await openTestStore(engine);
    tokens = new TokenStore(store.db, () => now);
  }, 60_000);
  afterAll(() => store.close(), 60_000);

  it("keeps only the hash of the secret", async () => {
    const { secret } = await tokens.create(grant);
    const rows = await store.db.all<Record<string, unknown>>("SELECT * FROM enrol_tokens");
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows.map((r) => r.secret_hash)).toContain(hashTokenSecret(secret));
  });

  it("allows exactly `uses` enrolments, then says it was used", async () => {
    const one = await tokens.create(grant);
    expect(await tokens.use(one.secret, "a")).toMatchObject({ ok: true });
    expect(await tokens.use(one.secret, "b")).toEqual({
      ok: false,
      reason: expect.stringMatching(/already used \(single-use\)/),
    });
    const three = await tokens.create({ ...grant, uses: 3 });
    const used = await Promise.all([1, 2, 3, 4].map((i) => tokens.use(three.secret, `h${i}`)));
    expect(used.filter((u) => u.ok)).toHaveLength(3);
    expect(used.filter((u) => !u.ok)).toEqual([{ ok: false, reason: expect.stringMatching(/all 3 uses/) }]);
  });

  it("gives a use back when issuing failed after it, never more than it had", async () => {
    const t = await tokens.create(grant);
    const used = await tokens.use(t.secret, "a");
    expect(used.ok).toBe(true);
    if (used.ok) {
      await tokens.refund(used.hash);
      await tokens.refund(used.hash);
    }
    expect(
      await store.db.get("SELECT uses, uses_left FROM enrol_tokens WHERE secret_hash = ?", [hashTokenSecret(t.secret)]),
    ).toEqual({ uses: 1, uses_left: 1 });
    expect((await tokens.use(t.secret, "a")).ok).toBe(true);
  });

  it("refuses an expired token, an unknown one, and hosts outside its binding", async () => {
    const t = await tokens.create(grant);
    now += 60_000;
    expect(await tokens.use(t.secret, "a")).toEqual({ ok: false, reason: expect.stringMatching(/expired at/) });
    expect(await tokens.use("x".repeat(43), "a")).toEqual({ ok: false, reason: expect.stringMatching(/not known/) });
    const host = await tokens.create({ ...grant, host: "kvm01" });
    expect(await tokens.use(host.secret, "kvm02")).toEqual({
      ok: false,
      reason: expect.stringMatching(/for host "kvm01"/),
    });
    expect((await tokens.use(host.secret, "kvm01")).ok).toBe(true);
    const pattern = await tokens.create({ ...grant, pattern: "kvm[01:04].lab", uses: 2 });
    expect(await tokens.use(pattern.secret, "kvm05.lab")).toEqual({
      ok: false,
      reason: expect.stringMatching(/matching "kvm\[01:04\]\.lab"/),
    });
    expect((await tokens.use(pattern.secret, "kvm03.lab")).ok).toBe(true);
  });

  it("forgets tokens a week after they expired", async () => {
    now += 8 * 86_400_000;
    expect(await tokens.prune()).toBeGreaterThan(0);
    expect(await store.db.get("SELECT COUNT(*) AS n FROM enrol_tokens")).toEqual({ n: 0 });
  });
});

describe("the token store on PostgreSQL, two controllers at once", { timeout: 60_000 }, () => {
  let store: TestStore;
  let second: PgDatabase;
  beforeAll(async () => {
    store = await openTestStore("postgres");
    second = await PgDatabase.connect({ url: store.postgres!.url, max: 8 });
  }, 60_000);
  afterAll(async () => {
    await second.close();
    await store.close();
  }, 60_000);

  it("spends a token's uses exactly once each when two connection pools race for them; uses_left never goes below 0", async () => {
    const a = new TokenStore(store.db);
    const b = new TokenStore(second);
    for (let round = 0; round < 5; round++) {
      const t = await a.create({ ttlMs: 60_000, host: "", pattern: "", uses: 3, createdBy: "admin:admin" });
      // 16 enrolments at once, half through each pool: exactly 3 win.
      const used = await Promise.all(
        Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? a : b).use(t.secret, `h${i}`)),
      );
      expect(used.filter((u) => u.ok)).toHaveLength(3);
      expect(
        await second.get("SELECT uses_left FROM enrol_tokens WHERE secret_hash = ?", [hashTokenSecret(t.secret)]),
      ).toEqual({ uses_left: 0 });
    }
  });
});
