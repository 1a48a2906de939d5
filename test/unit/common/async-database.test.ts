import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AsyncDatabase, DatabaseClosedError, TransactionOrderError } from "../../../common/index.js";

/** Real SQLite files: the runner is the only thing between callers and the connection. */
let dir: string;
let db: AsyncDatabase;
let log: Database.Statement<[string, string]>;

const tick = () => new Promise<void>((r) => setImmediate(r));
const rows = () =>
  db.connection.prepare<[], { who: string; what: string }>("SELECT who, what FROM log ORDER BY id").all();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vf-async-db-"));
  const conn = new Database(join(dir, "t.db"));
  conn.pragma("journal_mode = WAL");
  conn.exec("CREATE TABLE log (id INTEGER PRIMARY KEY, who TEXT NOT NULL, what TEXT NOT NULL)");
  db = AsyncDatabase.of(conn);
  log = conn.prepare("INSERT INTO log (who, what) VALUES (?, ?)");
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("AsyncDatabase", () => {
  it("is one handle per connection", () => {
    expect(AsyncDatabase.of(db.connection)).toBe(db);
    expect(AsyncDatabase.of(db)).toBe(db);
  });

  it("never interleaves two transactions' statements, though both await between them", async () => {
    const txn = (who: string) =>
      db.transaction(async (tx) => {
        for (let i = 0; i < 5; i++) {
          await tx.write(() => log.run(who, `step ${i}`));
          await tick(); // other callers get the event loop here
        }
      });
    const outsider = (async () => {
      await tick();
      await db.write(() => log.run("outsider", "write"));
    })();
    await Promise.all([txn("a"), txn("b"), outsider]);
    const who = rows().map((r) => r.who);
    expect(who).toHaveLength(11);
    for (const t of ["a", "b"]) {
      const first = who.indexOf(t);
      // contiguous: five statements in a row, nobody else's in between
      expect(who.slice(first, first + 5)).toEqual([t, t, t, t, t]);
      expect(who.lastIndexOf(t)).toBe(first + 4);
    }
  });

  it("makes a caller wait while a transaction is open, and run after its commit, seeing its writes", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = db.transaction(async (tx) => {
      await tx.write(() => log.run("t", "first"));
      await gate;
      await tx.write(() => log.run("t", "second"));
    });
    let readAt = -1;
    const read = db.read((c) => {
      readAt = (c.prepare("SELECT count(*) AS n FROM log").get() as { n: number }).n;
      return readAt;
    });
    await tick();
    expect(readAt).toBe(-1); // still waiting
    expect(db.waiting).toBe(1);
    release();
    await t;
    expect(await read).toBe(2);
  });

  it("rolls back and rejects when the transaction throws, synchronously or after an await", async () => {
    await expect(
      db.transaction((tx) => {
        void tx.write(() => log.run("x", "sync"));
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await expect(
      db.transaction(async (tx) => {
        await tx.write(() => log.run("x", "async"));
        await tick();
        throw new Error("later");
      }),
    ).rejects.toThrow("later");
    expect(rows()).toEqual([]);
    expect(db.connection.inTransaction).toBe(false);
    // and the gate is free again
    await db.write(() => log.run("y", "after"));
    expect(rows()).toEqual([{ who: "y", what: "after" }]);
  });

  it("starts calls in the order they were made, whatever their kind", async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const all = [
      db.transaction(async () => {
        order.push("t1");
        await gate;
      }),
      db.read(() => order.push("r1")),
      db.transaction(() => {
        order.push("t2 (sync)");
      }),
      db.write(() => order.push("w1")),
      db.transaction(async (tx) => {
        order.push("t3");
        await tx.read(() => undefined);
      }),
      db.read(() => order.push("r2")),
    ];
    await tick();
    expect(order).toEqual(["t1"]);
    release();
    await Promise.all(all);
    expect(order).toEqual(["t1", "r1", "t2 (sync)", "w1", "t3", "r2"]);
  });

  it("rejects a read or write with what its function threw, without closing the gate", async () => {
    await expect(db.read(() => db.connection.prepare("SELECT * FROM nowhere").all())).rejects.toThrow(/no such table/);
    await expect(
      db.write(() => {
        throw new RangeError("bad");
      }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(db.read(() => 42)).resolves.toBe(42);
  });

  it("rejects a failing statement inside a transaction and rolls back the whole transaction", async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.write(() => log.run("a", "ok"));
        await tx.write((c) => c.prepare("INSERT INTO log (who) VALUES ('no what')").run());
      }),
    ).rejects.toThrow(/NOT NULL/);
    expect(rows()).toEqual([]);
  });

  it("runs a nested transaction as a savepoint: its failure undoes only its own statements", async () => {
    await db.transaction(async (tx) => {
      await tx.write(() => log.run("outer", "1"));
      await expect(
        tx.transaction(async (inner) => {
          await inner.write(() => log.run("inner", "lost"));
          throw new Error("inner fails");
        }),
      ).rejects.toThrow("inner fails");
      await tx.transaction((inner) => inner.write(() => log.run("inner", "kept")));
      await tx.write(() => log.run("outer", "2"));
    });
    expect(rows().map((r) => `${r.who}:${r.what}`)).toEqual(["outer:1", "inner:kept", "outer:2"]);
  });

  it("refuses overlapping nested transactions", async () => {
    await expect(
      db.transaction(async (tx) => {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const first = tx.transaction(async () => {
          await tick();
        });
        const second = tx.transaction(async () => {
          await gate;
        });
        try {
          await first; // ends while `second`, opened after it, is still open
        } finally {
          release();
          await Promise.allSettled([second]);
        }
      }),
    ).rejects.toBeInstanceOf(TransactionOrderError);
  });

  it("refuses a transaction handle used after its transaction ended", async () => {
    let kept!: Parameters<Parameters<AsyncDatabase["transaction"]>[0]>[0];
    await db.transaction((tx) => {
      kept = tx;
    });
    await expect(kept.write(() => log.run("late", "x"))).rejects.toBeInstanceOf(DatabaseClosedError);
    expect(rows()).toEqual([]);
  });

  it("commits a non-durable transaction and restores the connection's synchronous setting", async () => {
    db.connection.pragma("synchronous = FULL");
    await db.transaction(
      (tx) => {
        void tx.write(() => log.run("a", "relaxed"));
        expect(db.connection.pragma("synchronous", { simple: true })).toBe(1);
      },
      { durable: false },
    );
    expect(db.connection.pragma("synchronous", { simple: true })).toBe(2);
    expect(rows()).toHaveLength(1);
  });

  it("runs a free read in the caller's turn (a resolved promise, no queue)", async () => {
    let ran = false;
    const p = db.read(() => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(db.waiting).toBe(0);
    await p;
  });
});
