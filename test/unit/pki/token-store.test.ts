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
  it("keeps only the hash of the secret", () => {
    const { secret } = tokens.create(grant);
    const rows = db.prepare("SELECT * FROM enrol_tokens").all() as Record<string, unknown>[];
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows.map((r) => r.secret_hash)).toContain(hashTokenSecret(secret));
  });

  it("allows exactly `uses` enrolments, then says it was used", () => {
    const one = tokens.create(grant);
    expect(tokens.use(one.secret, "a")).toMatchObject({ ok: true });
    expect(tokens.use(one.secret, "b")).toEqual({
      ok: false,
      reason: expect.stringMatching(/already used \(single-use\)/),
    });
    const three = tokens.create({ ...grant, uses: 3 });
    expect([1, 2, 3, 4].map((i) => tokens.use(three.secret, `h${i}`).ok)).toEqual([true, true, true, false]);
  });

  it("gives a use back when issuing failed after it", () => {
    const t = tokens.create(grant);
    const used = tokens.use(t.secret, "a");
    expect(used.ok).toBe(true);
    if (used.ok) tokens.refund(used.hash);
    expect(tokens.use(t.secret, "a").ok).toBe(true);
  });

  it("refuses an expired token, an unknown one, and hosts outside its binding", () => {
    const t = tokens.create(grant);
    now += 60_000;
    expect(tokens.use(t.secret, "a")).toEqual({ ok: false, reason: expect.stringMatching(/expired at/) });
    expect(tokens.use("x".repeat(43), "a")).toEqual({ ok: false, reason: expect.stringMatching(/not known/) });
    const host = tokens.create({ ...grant, host: "kvm01" });
    expect(tokens.use(host.secret, "kvm02")).toEqual({ ok: false, reason: expect.stringMatching(/for host "kvm01"/) });
    expect(tokens.use(host.secret, "kvm01").ok).toBe(true);
    const pattern = tokens.create({ ...grant, pattern: "kvm[01:04].lab", uses: 2 });
    expect(tokens.use(pattern.secret, "kvm05.lab")).toEqual({
      ok: false,
      reason: expect.stringMatching(/matching "kvm\[01:04\]\.lab"/),
    });
    expect(tokens.use(pattern.secret, "kvm03.lab").ok).toBe(true);
  });

  it("forgets tokens a week after they expired", () => {
    now += 8 * 86_400_000;
    expect(tokens.prune()).toBeGreaterThan(0);
    expect(db.prepare("SELECT COUNT(*) AS n FROM enrol_tokens").get()).toEqual({ n: 0 });
  });
});
