import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../../common/index.js";
import { hashTokenSecret } from "../../../common/pki/index.js";
import { TokenStore } from "../../../controller/enroll/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";
import { tempDir } from "../../harness/processes.js";

const dir = tempDir("vft-tokens-");
const db = openDatabase(`${dir.path}/c.db`, CONTROLLER_MIGRATIONS);
afterAll(() => {
  db.close();
  dir.cleanup();
});
let now = 1_000_000;
const tokens = new TokenStore(db, () => now);
const grant = { ttlMs: 60_000, host: "", pattern: "", uses: 1, createdBy: "admin:admin" };

describe("the token store", () => {
  it("keeps only the hash of the secret", async () => {
    const { secret } = await tokens.create(grant);
    const rows = db.prepare("SELECT * FROM enrol_tokens").all() as Record<string, unknown>[];
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
    expect((await Promise.all([1, 2, 3, 4].map((i) => tokens.use(three.secret, `h${i}`)))).map((u) => u.ok)).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it("gives a use back when issuing failed after it", async () => {
    const t = await tokens.create(grant);
    const used = await tokens.use(t.secret, "a");
    expect(used.ok).toBe(true);
    if (used.ok) await tokens.refund(used.hash);
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
    expect(db.prepare("SELECT COUNT(*) AS n FROM enrol_tokens").get()).toEqual({ n: 0 });
  });
});
