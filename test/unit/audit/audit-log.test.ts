import { afterEach, describe, expect, it } from "vitest";
import type { Queryable } from "../../../common/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import { AuditLog, auditHash, GENESIS_HASH, MAX_DETAIL_CHARS, VERIFY_CHUNK } from "../../../controller/audit/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";
import { dropTriggersOn, writeChain } from "./audit-db.js";

const T0 = Date.parse("2026-03-01T10:00:00.000Z");

describe.each(ENGINES)("audit log (%s)", { timeout: 60_000 }, (engine) => {
  const opened: TestStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  }, 60_000);

  /** A fresh store with `n` records appended one after the other (a second each). */
  async function log(n = 0): Promise<{ db: Queryable; audit: AuditLog }> {
    const store = await openTestStore(engine);
    opened.push(store);
    let t = T0;
    const audit = new AuditLog(store.db, () => (t += 1_000));
    for (let i = 1; i <= n; i++)
      await audit.append({
        actor: `admin:a${i}`,
        action: "rollout.pause",
        target: `p${i}`,
        detail: { reason: `r${i}` },
      });
    return { db: store.db, audit };
  }

  describe("audit log: hash chain", () => {
    it("appends records with consecutive seq, each linked to the previous one's hash", async () => {
      const { audit } = await log();
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
      expect(await (await log()).audit.verify()).toEqual({ ok: true, checked: 0, firstBadSeq: null, problem: null });
      expect(await (await log(50)).audit.verify()).toEqual({ ok: true, checked: 50, firstBadSeq: null, problem: null });
    });

    it("the triggers abort UPDATE and DELETE", async () => {
      const { db, audit } = await log(3);
      await expect(db.run("UPDATE audit_log SET actor = 'admin:mallory' WHERE seq = 2")).rejects.toThrow(
        /append-only: UPDATE refused/,
      );
      await expect(db.run("DELETE FROM audit_log WHERE seq = 2")).rejects.toThrow(/append-only: DELETE refused/);
      await expect(db.run("DELETE FROM audit_log")).rejects.toThrow(/append-only/);
      if (engine === "postgres") await expect(db.run("TRUNCATE audit_log")).rejects.toThrow(/append-only: TRUNCATE/);
      expect((await audit.verify()).ok).toBe(true);
      expect((await audit.list()).map((r) => r.seq)).toEqual([1, 2, 3]);
    });

    it("an edited detail or actor (triggers dropped) is named by seq", async () => {
      const { db, audit } = await log(5);
      await dropTriggersOn(db);
      await db.run(`UPDATE audit_log SET detail_json = '{"reason":"nothing to see"}' WHERE seq = 3`);
      expect(await audit.verify()).toEqual({
        ok: false,
        checked: 3,
        firstBadSeq: 3,
        problem: "record 3 was modified: its hash does not match its content",
      });

      const other = await log(5);
      await dropTriggersOn(other.db);
      await other.db.run("UPDATE audit_log SET actor = 'admin:someone-else' WHERE seq = 4");
      expect(await other.audit.verify()).toMatchObject({ ok: false, firstBadSeq: 4 });
    });

    it("an edit whose hash was recomputed breaks the next record's link", async () => {
      const { db, audit } = await log(5);
      await dropTriggersOn(db);
      const row = (await audit.list()).find((r) => r.seq === 2)!;
      const forged = { ...row, target: "innocent" };
      await db.run("UPDATE audit_log SET target = ?, hash = ? WHERE seq = 2", [forged.target, auditHash(forged)]);
      const v = await audit.verify();
      expect(v).toMatchObject({ ok: false, firstBadSeq: 3, checked: 3 });
      expect(v.problem).toMatch(/^record 3 does not link to record 2/);
    });

    it("a deleted record is detected (a gap in seq), also the first one", async () => {
      const { db, audit } = await log(5);
      await dropTriggersOn(db);
      await db.run("DELETE FROM audit_log WHERE seq = 3");
      expect(await audit.verify()).toEqual({
        ok: false,
        checked: 3,
        firstBadSeq: 4,
        problem: "record 3 is missing before record 4 (deleted)",
      });

      const first = await log(3);
      await dropTriggersOn(first.db);
      await first.db.run("DELETE FROM audit_log WHERE seq IN (1, 2)");
      expect(await first.audit.verify()).toMatchObject({
        ok: false,
        firstBadSeq: 3,
        problem: "records 1–2 are missing before record 3 (deleted)",
      });
    });

    it("a deleted record with the rest renumbered is detected by the broken link", async () => {
      const { db, audit } = await log(4);
      await dropTriggersOn(db);
      await db.exec("DELETE FROM audit_log WHERE seq = 2; UPDATE audit_log SET seq = seq - 1 WHERE seq > 2;");
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 2 });
    });

    it("reordered records (two seq swapped) are detected", async () => {
      const { db, audit } = await log(5);
      await dropTriggersOn(db);
      await db.exec(
        "UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 100;",
      );
      const v = await audit.verify();
      expect(v).toMatchObject({ ok: false, firstBadSeq: 2 });
      expect(v.problem).toMatch(/record 2/);
    });

    it("a record slipped in below seq 1 is detected", async () => {
      const { db, audit } = await log(2);
      await db.run(
        "INSERT INTO audit_log (seq, at, actor, action, target, detail_json, prev_hash, hash) VALUES (0, 'x', 'a', 'b.c', 't', '{}', ?, ?)",
        ["0".repeat(64), "1".repeat(64)],
      );
      expect(await audit.verify()).toMatchObject({
        ok: false,
        firstBadSeq: 0,
        problem: "record 0 is out of sequence (expected 1)",
      });
    });

    it("verification spans chunks: a long chain verifies, and an edit far into it is found (also by verifyAsync)", async () => {
      const { db, audit } = await log();
      await writeChain(db, VERIFY_CHUNK * 2 + 7);
      expect(await audit.verify()).toEqual({
        ok: true,
        checked: VERIFY_CHUNK * 2 + 7,
        firstBadSeq: null,
        problem: null,
      });
      expect(await audit.verifyAsync()).toEqual(await audit.verify());
      await dropTriggersOn(db);
      await db.run("UPDATE audit_log SET target = 'x' WHERE seq = ?", [VERIFY_CHUNK + 3]);
      expect(await audit.verify()).toMatchObject({
        ok: false,
        firstBadSeq: VERIFY_CHUNK + 3,
        checked: VERIFY_CHUNK + 3,
      });
      expect(await audit.verifyAsync()).toEqual(await audit.verify());
    });

    it("an edited prev_hash (relinking) is detected", async () => {
      const { db, audit } = await log(3);
      await dropTriggersOn(db);
      await db.run("UPDATE audit_log SET prev_hash = ? WHERE seq = 1", ["f".repeat(64)]);
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 1 });
    });

    it("appends after a record that fails verification still chain to what is stored (verify keeps naming the bad one)", async () => {
      const { db, audit } = await log(3);
      await dropTriggersOn(db);
      await db.run("UPDATE audit_log SET action = 'rollout.resume' WHERE seq = 2");
      await audit.append({ actor: "admin:x", action: "token.create", target: "*" });
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 2 });
    });
  });

  describe("audit log: what is stored", () => {
    it("list: the newest `limit` records since a time, oldest first", async () => {
      const { audit } = await log(10);
      expect((await audit.list({ limit: 3 })).map((r) => r.seq)).toEqual([8, 9, 10]);
      expect((await audit.list({ since: T0 + 8_000 })).map((r) => r.seq)).toEqual([8, 9, 10]);
      expect((await audit.list({ since: T0 + 8_000, limit: 1 })).map((r) => r.seq)).toEqual([10]);
      expect(await audit.list({ since: T0 + 60_000 })).toEqual([]);
      expect((await audit.list({ limit: 0 })).length).toBe(10);
    });

    it("an action that is not noun.verb is refused", async () => {
      const { audit } = await log();
      expect(() => audit.append({ actor: "admin:a", action: "Pause", target: "x" })).toThrow(/noun\.verb/);
      expect(() => audit.append({ actor: "admin:a", action: "rollout", target: "x" })).toThrow(/noun\.verb/);
      expect(await audit.list()).toEqual([]);
    });

    it("control characters in actor and target are stored escaped; long ones clipped", async () => {
      const { audit } = await log();
      const r = await audit.append({ actor: "admin:a", action: "flap.acknowledge", target: "web\n\u001b[31mred" });
      expect(r.target).toBe("web\\u000a\\u001b[31mred");
      const long = await audit.append({ actor: "admin:a", action: "flap.acknowledge", target: "x".repeat(10_000) });
      expect(long.target.length).toBe(512);
      expect((await audit.verify()).ok).toBe(true);
    });

    it("a huge detail is replaced by its size; one JSON cannot represent is recorded as such", async () => {
      const { audit } = await log();
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
      const { db, audit } = await log(1);
      await expect(
        db.transaction(async (tx) => {
          await audit.append({ actor: "controller", action: "host.enrol", target: "kvm01" }, tx);
          throw new Error("enrolment failed later");
        }),
      ).rejects.toThrow(/enrolment failed/);
      expect((await audit.list()).map((r) => r.seq)).toEqual([1]);
      expect((await audit.append({ actor: "controller", action: "host.enrol", target: "kvm01" })).seq).toBe(2);
      expect((await audit.verify()).ok).toBe(true);
    });
  });
});

describe("audit log on PostgreSQL: two controllers appending at once", { timeout: 60_000 }, () => {
  let store: TestStore;
  let second: PgDatabase | undefined;
  afterEach(async () => {
    await second?.close();
    await store?.close();
  }, 60_000);

  it("serializes appends from two connection pools: one chain, seq 1..n without a gap, every link intact", async () => {
    store = await openTestStore("postgres");
    second = await PgDatabase.connect({ url: store.postgres!.url, max: 8 });
    const a = new AuditLog(store.db);
    const b = new AuditLog(second);
    const n = 60;
    const stored = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        (i % 2 === 0 ? a : b).append({ actor: "controller", action: "host.enrol", target: `h${i}` }),
      ),
    );
    expect(stored.map((r) => r.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(new Set(stored.map((r) => r.prevHash)).size).toBe(n);
    expect(await b.verify()).toEqual({ ok: true, checked: n, firstBadSeq: null, problem: null });
    // Inside callers' transactions too: the lock is held to their commit.
    await Promise.all(
      [store.db, second, store.db, second].map((db, i) =>
        db.transaction(async (tx) => {
          await (i % 2 === 0 ? a : b).append({ actor: "controller", action: "host.enrol", target: `t${i}` }, tx);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }),
      ),
    );
    expect(await a.verify()).toEqual({ ok: true, checked: n + 4, firstBadSeq: null, problem: null });
  });
});
