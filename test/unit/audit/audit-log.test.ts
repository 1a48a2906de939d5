import { describe, expect, it } from "vitest";
import { AuditLog, auditHash, GENESIS_HASH, MAX_DETAIL_CHARS, VERIFY_CHUNK } from "../../../controller/audit/index.js";
import { auditDb, dropTriggers } from "./audit-db.js";

const T0 = Date.parse("2026-03-01T10:00:00.000Z");

function log(n = 0) {
  const db = auditDb();
  let t = T0;
  const audit = new AuditLog(db, () => (t += 1_000));
  for (let i = 1; i <= n; i++)
    void audit.append({ actor: `admin:a${i}`, action: "rollout.pause", target: `p${i}`, detail: { reason: `r${i}` } });
  return { db, audit };
}

describe("audit log: hash chain", () => {
  it("appends records with consecutive seq, each linked to the previous one's hash", async () => {
    const { audit } = log();
    const a = await audit.append({
      actor: "admin:ann",
      action: "rollout.pause",
      target: "web",
      detail: { reason: "latency" },
    });
    const b = await audit.append({
      actor: "controller",
      action: "policy.revision",
      target: "web",
      detail: { revision: "abc", generation: 2 },
    });
    expect(a).toMatchObject({
      seq: 1,
      at: "2026-03-01T10:00:01.000Z",
      actor: "admin:ann",
      action: "rollout.pause",
      target: "web",
      detailJson: '{"reason":"latency"}',
      prevHash: GENESIS_HASH,
    });
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).toBe(auditHash(a));
    expect(b.seq).toBe(2);
    expect(b.prevHash).toBe(a.hash);
    expect(b.detailJson).toBe('{"generation":2,"revision":"abc"}');
    expect(await audit.list()).toEqual([a, b]);
  });

  it("verify: an empty log and an untouched log are intact", async () => {
    expect(await log().audit.verify()).toEqual({ ok: true, checked: 0, firstBadSeq: null, problem: null });
    expect(await log(50).audit.verify()).toEqual({ ok: true, checked: 50, firstBadSeq: null, problem: null });
  });

  it("the triggers abort UPDATE and DELETE", async () => {
    const { db, audit } = log(3);
    expect(() => db.prepare("UPDATE audit_log SET actor = 'admin:mallory' WHERE seq = 2").run()).toThrow(
      /append-only: UPDATE refused/,
    );
    expect(() => db.prepare("DELETE FROM audit_log WHERE seq = 2").run()).toThrow(/append-only: DELETE refused/);
    expect(() => db.prepare("DELETE FROM audit_log").run()).toThrow(/append-only/);
    expect((await audit.verify()).ok).toBe(true);
    expect((await audit.list()).map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it("an edited detail or actor (triggers dropped) is named by seq", async () => {
    const { db, audit } = log(5);
    dropTriggers(db);
    db.prepare(`UPDATE audit_log SET detail_json = '{"reason":"nothing to see"}' WHERE seq = 3`).run();
    expect(await audit.verify()).toEqual({
      ok: false,
      checked: 3,
      firstBadSeq: 3,
      problem: "record 3 was modified: its hash does not match its content",
    });

    const other = log(5);
    dropTriggers(other.db);
    other.db.prepare("UPDATE audit_log SET actor = 'admin:someone-else' WHERE seq = 4").run();
    expect(await other.audit.verify()).toMatchObject({ ok: false, firstBadSeq: 4 });
  });

  it("an edit whose hash was recomputed breaks the next record's link", async () => {
    const { db, audit } = log(5);
    dropTriggers(db);
    const row = (await audit.list()).find((r) => r.seq === 2)!;
    const forged = { ...row, target: "innocent" };
    db.prepare("UPDATE audit_log SET target = ?, hash = ? WHERE seq = 2").run(forged.target, auditHash(forged));
    const v = await audit.verify();
    expect(v).toMatchObject({ ok: false, firstBadSeq: 3, checked: 3 });
    expect(v.problem).toMatch(/^record 3 does not link to record 2/);
  });

  it("a deleted record is detected (a gap in seq), also the first one", async () => {
    const { db, audit } = log(5);
    dropTriggers(db);
    db.prepare("DELETE FROM audit_log WHERE seq = 3").run();
    expect(await audit.verify()).toEqual({
      ok: false,
      checked: 3,
      firstBadSeq: 4,
      problem: "record 3 is missing before record 4 (deleted)",
    });

    const first = log(3);
    dropTriggers(first.db);
    first.db.prepare("DELETE FROM audit_log WHERE seq IN (1, 2)").run();
    expect(await first.audit.verify()).toMatchObject({
      ok: false,
      firstBadSeq: 3,
      problem: "records 1–2 are missing before record 3 (deleted)",
    });
  });

  it("a deleted record with the rest renumbered is detected by the broken link", async () => {
    const { db, audit } = log(4);
    dropTriggers(db);
    db.exec("DELETE FROM audit_log WHERE seq = 2; UPDATE audit_log SET seq = seq - 1 WHERE seq > 2;");
    expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 2 });
  });

  it("reordered records (two seq swapped) are detected", async () => {
    const { db, audit } = log(5);
    dropTriggers(db);
    db.exec(
      "UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 100;",
    );
    const v = await audit.verify();
    expect(v).toMatchObject({ ok: false, firstBadSeq: 2 });
    expect(v.problem).toMatch(/record 2/);
  });

  it("a record slipped in below seq 1 is detected", async () => {
    const { db, audit } = log(2);
    db.prepare(
      "INSERT INTO audit_log (seq, at, actor, action, target, detail_json, prev_hash, hash) VALUES (0, 'x', 'a', 'b.c', 't', '{}', ?, ?)",
    ).run("0".repeat(64), "1".repeat(64));
    expect(await audit.verify()).toMatchObject({
      ok: false,
      firstBadSeq: 0,
      problem: "record 0 is out of sequence (expected 1)",
    });
  });

  it("verification spans chunks: a long chain verifies, and an edit far into it is found (also by verifyAsync)", async () => {
    const { db, audit } = log();
    db.transaction(() => {
      for (let i = 0; i < VERIFY_CHUNK * 2 + 7; i++)
        void audit.append({ actor: "controller", action: "policy.revision", target: `p${i}` });
    })();
    expect(await audit.verify()).toEqual({ ok: true, checked: VERIFY_CHUNK * 2 + 7, firstBadSeq: null, problem: null });
    expect(await audit.verifyAsync()).toEqual(await audit.verify());
    dropTriggers(db);
    db.prepare("UPDATE audit_log SET target = 'x' WHERE seq = ?").run(VERIFY_CHUNK + 3);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: VERIFY_CHUNK + 3, checked: VERIFY_CHUNK + 3 });
    expect(await audit.verifyAsync()).toEqual(await audit.verify());
  });

  it("an edited prev_hash (relinking) is detected", async () => {
    const { db, audit } = log(3);
    dropTriggers(db);
    db.prepare("UPDATE audit_log SET prev_hash = ? WHERE seq = 1").run("f".repeat(64));
    expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 1 });
  });

  it("appends after a record that fails verification still chain to what is stored (verify keeps naming the bad one)", async () => {
    const { db, audit } = log(3);
    dropTriggers(db);
    db.prepare("UPDATE audit_log SET action = 'rollout.resume' WHERE seq = 2").run();
    await audit.append({ actor: "admin:x", action: "token.create", target: "*" });
    expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 2 });
  });
});

describe("audit log: what is stored", () => {
  it("list: the newest `limit` records since a time, oldest first", async () => {
    const { audit } = log(10);
    expect((await audit.list({ limit: 3 })).map((r) => r.seq)).toEqual([8, 9, 10]);
    expect((await audit.list({ since: T0 + 8_000 })).map((r) => r.seq)).toEqual([8, 9, 10]);
    expect((await audit.list({ since: T0 + 8_000, limit: 1 })).map((r) => r.seq)).toEqual([10]);
    expect(await audit.list({ since: T0 + 60_000 })).toEqual([]);
    expect((await audit.list({ limit: 0 })).length).toBe(10);
  });

  it("an action that is not noun.verb is refused", async () => {
    const { audit } = log();
    expect(() => audit.append({ actor: "admin:a", action: "Pause", target: "x" })).toThrow(/noun\.verb/);
    expect(() => audit.append({ actor: "admin:a", action: "rollout", target: "x" })).toThrow(/noun\.verb/);
    expect(await audit.list()).toEqual([]);
  });

  it("control characters in actor and target are stored escaped; long ones clipped", async () => {
    const { audit } = log();
    const r = await audit.append({ actor: "admin:a", action: "flap.acknowledge", target: "web\n\u001b[31mred" });
    expect(r.target).toBe("web\\u000a\\u001b[31mred");
    const long = await audit.append({ actor: "admin:a", action: "flap.acknowledge", target: "x".repeat(10_000) });
    expect(long.target.length).toBe(512);
    expect((await audit.verify()).ok).toBe(true);
  });

  it("a huge detail is replaced by its size; one JSON cannot represent is recorded as such", async () => {
    const { audit } = log();
    const big = await audit.append({
      actor: "a",
      action: "policy.revision",
      target: "p",
      detail: { blob: "x".repeat(MAX_DETAIL_CHARS) },
    });
    expect(JSON.parse(big.detailJson)).toEqual({ truncated: true, chars: MAX_DETAIL_CHARS + 11 });
    const odd = await audit.append({ actor: "a", action: "policy.revision", target: "p", detail: { n: 10n } });
    expect(JSON.parse(odd.detailJson)).toHaveProperty("unrepresentable");
    expect((await audit.verify()).ok).toBe(true);
  });

  it("an append inside the caller's transaction rolls back with it", async () => {
    const { db, audit } = log(1);
    const tx = db.transaction(() => {
      void audit.append({ actor: "controller", action: "host.enrol", target: "kvm01" });
      throw new Error("enrolment failed later");
    });
    expect(() => tx()).toThrow(/enrolment failed/);
    expect((await audit.list()).map((r) => r.seq)).toEqual([1]);
    expect((await audit.append({ actor: "controller", action: "host.enrol", target: "kvm01" })).seq).toBe(2);
    expect((await audit.verify()).ok).toBe(true);
  });
});
