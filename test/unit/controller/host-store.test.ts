import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import type { Queryable } from "../../../common/index.js";
import { changedSections, FACT_HISTORY_KEEP, HostStore } from "../../../controller/hosts/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

const hello = (over: Partial<Parameters<HostStore["recordHello"]>[0]> = {}) => ({
  name: "kvm01",
  agentVersion: "1.0.0",
  factsJson: JSON.stringify({ cpu: { threads: 8 }, memory: { totalBytes: 1 } }),
  factsFingerprint: "fp1",
  sessionId: "s1",
  peer: "ipv4:127.0.0.1:1",
  now: 1000,
  ...over,
});

/** `db` with every statement it (or a transaction of it) runs counted in `counter.statements`. */
function counting(db: Queryable, counter: { statements: number }): Queryable {
  return {
    engine: db.engine,
    all: (sql, params) => (counter.statements++, db.all(sql, params)),
    get: (sql, params) => (counter.statements++, db.get(sql, params)),
    run: (sql, params) => (counter.statements++, db.run(sql, params)),
    exec: (sql) => (counter.statements++, db.exec(sql)),
    transaction: (fn, options) => db.transaction((tx) => fn(counting(tx, counter)), options),
  };
}

describe.each(ENGINES)("HostStore (%s)", (engine) => {
  let t: TestStore;
  let store: HostStore;
  /** What is written (not what the store's buffers add). */
  const stored = () => t.db.all<{ name: string; connected: number }>("SELECT name, connected FROM hosts ORDER BY name");

  beforeAll(async () => {
    t = await openTestStore(engine);
  });
  afterAll(async () => {
    await t?.close();
  });
  /** Statements `store` ran (counted on its handle). */
  const counter = { statements: 0 };
  beforeEach(async () => {
    await t.db.run("DELETE FROM hosts");
    store = new HostStore(counting(t.db, counter));
  });

  it("creates a host on first hello and reconnects it on later ones", async () => {
    expect((await store.recordHello(hello())).created).toBe(true);
    store.markDisconnected("kvm01", "s1", "agent closed the stream", 2000);
    expect(await store.get("kvm01")).toMatchObject({
      connected: false,
      disconnectReason: "agent closed the stream",
      lastSeen: 2000,
    });
    const again = await store.recordHello(hello({ sessionId: "s2", now: 3000 }));
    expect(again.created).toBe(false);
    expect(again.host).toMatchObject({
      connected: true,
      firstSeen: 1000,
      connectedSince: 3000,
      sessionId: "s2",
      disconnectReason: "",
    });
    expect(await store.count()).toBe(1);
  });

  it("lists the known hosts' names, sorted, and pages them by name", async () => {
    expect(await store.names()).toEqual([]);
    for (const name of ["kvm10", "kvm02", "edge-1"]) await store.recordHello(hello({ name, sessionId: name }));
    expect(await store.names()).toEqual(["edge-1", "kvm02", "kvm10"]);
    expect((await store.listAfter("edge-1", 1)).map((h) => h.name)).toEqual(["kvm02"]);
    expect((await store.listAfter("", 10)).map((h) => h.name)).toEqual(["edge-1", "kvm02", "kvm10"]);
    const lean = await store.listWithoutFacts();
    expect(lean.map((h) => [h.name, h.factsJson, h.connected])).toEqual([
      ["edge-1", "", true],
      ["kvm02", "", true],
      ["kvm10", "", true],
    ]);
    expect((await store.list())[0]!.factsJson).toBe(hello().factsJson);
    expect(await store.count()).toBe(3);
  });

  it("answers whether a host is known and reads its facts alone", async () => {
    expect(await store.has("kvm01")).toBe(false);
    expect(await store.factsJson("kvm01")).toBeUndefined();
    expect(await store.observedGeneration("kvm01")).toBeUndefined();
    await store.recordHello(hello());
    expect(await store.has("kvm01")).toBe(true);
    expect(await store.factsJson("kvm01")).toBe(hello().factsJson);
    expect(await store.observedGeneration("kvm01")).toBe(0);
  });

  it("buffers disconnects: reads see them at once, one flush writes them all, a newer session is never overwritten", async () => {
    // no end-of-turn flush before the explicit one (a Hello takes longer than its delay on PostgreSQL)
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    for (const name of ["a", "b", "c"]) await store.recordHello(hello({ name, sessionId: `${name}1` }));
    for (const name of ["a", "b", "c"]) store.markDisconnected(name, `${name}1`, "partition", 2000);
    await store.recordHello(hello({ name: "c", sessionId: "c2", now: 2100 }));
    expect(await stored()).toEqual([
      { name: "a", connected: 1 },
      { name: "b", connected: 1 },
      { name: "c", connected: 1 },
    ]);
    expect((await store.list()).map((h) => [h.name, h.connected])).toEqual([
      ["a", false],
      ["b", false],
      ["c", true],
    ]);
    await store.flush();
    expect(await stored()).toEqual([
      { name: "a", connected: 0 },
      { name: "b", connected: 0 },
      { name: "c", connected: 1 },
    ]);
    expect(await store.get("a")).toMatchObject({ connectedSince: null, disconnectReason: "partition", lastSeen: 2000 });
    expect(await store.get("c")).toMatchObject({ connectedSince: 2100, disconnectReason: "", sessionId: "c2" });
  });

  it("writes buffered disconnects by itself shortly after", async () => {
    await store.recordHello(hello());
    store.markDisconnected("kvm01", "s1", "gone", 2000);
    await expect
      .poll(() => t.db.get("SELECT connected, disconnect_reason FROM hosts"), { timeout: 2_000, interval: 20 })
      .toEqual({ connected: 0, disconnect_reason: "gone" });
  });

  it("ignores a disconnect from a session that was already replaced", async () => {
    await store.recordHello(hello());
    await store.recordHello(hello({ sessionId: "s2", now: 2000 }));
    store.markDisconnected("kvm01", "s1", "old stream ended", 2500);
    expect((await store.get("kvm01"))!.connected).toBe(true);
    await store.flush();
    expect(await new HostStore(t.db).get("kvm01")).toMatchObject({ connected: true, sessionId: "s2", lastSeen: 2000 });
  });

  it("keeps a fact history only when the fingerprint changes, naming changed sections", async () => {
    await store.recordHello(hello());
    expect(
      await store.recordFacts("kvm01", JSON.stringify({ cpu: { threads: 8 }, memory: { totalBytes: 1 } }), "fp1", 2000),
    ).toBe(false);
    expect(
      await store.recordFacts(
        "kvm01",
        JSON.stringify({ cpu: { threads: 16 }, memory: { totalBytes: 1 } }),
        "fp2",
        3000,
      ),
    ).toBe(true);
    const h = await store.factHistory("kvm01", 10);
    expect(h.map((c) => c.factsFingerprint)).toEqual(["fp2", "fp1"]);
    expect(h[0]!.changedSections).toEqual(["cpu"]);
    expect(h[0]!.changedAt).toBe(3000);
    expect(await store.recordFacts("nobody", "{}", "x", 1)).toBe(false);
    // A Hello with other facts is a change too.
    await store.recordHello(hello({ sessionId: "s2", now: 4000, factsJson: '{"cpu":{}}', factsFingerprint: "fp3" }));
    expect((await store.factHistory("kvm01", 1))[0]).toEqual({
      changedAt: 4000,
      factsFingerprint: "fp3",
      changedSections: ["cpu", "memory"],
    });
  });

  it("prunes fact history beyond the retention", async () => {
    await store.recordHello(hello());
    for (let i = 0; i < FACT_HISTORY_KEEP + 10; i++)
      await store.recordFacts("kvm01", JSON.stringify({ i }), `fp-${i}`, 2000 + i);
    const kept = await store.factHistory("kvm01", 10_000);
    expect(kept).toHaveLength(FACT_HISTORY_KEEP);
    expect(kept[0]!.factsFingerprint).toBe(`fp-${FACT_HISTORY_KEEP + 9}`);
  });

  it("buffers liveness until flush, keeping the maximum, and never lowers what is stored", async () => {
    await store.recordHello(hello());
    store.touch("kvm01", 5000, 7, 3);
    store.touch("kvm01", 4000, 5, 2);
    await store.flush();
    expect(await store.get("kvm01")).toMatchObject({ lastSeen: 5000, lastAgentSeq: 7, lastControllerSeq: 3 });
    // another store (no buffers) over the same database writes older values: kept as they were
    const other = new HostStore(t.db);
    other.touch("kvm01", 4500, 6, 9);
    await other.flush();
    expect(await other.get("kvm01")).toMatchObject({ lastSeen: 5000, lastAgentSeq: 7, lastControllerSeq: 9 });
  });

  it("flushes thousands of hosts' liveness and disconnects together, skipping unknown hosts", async () => {
    const names = Array.from({ length: 2_000 }, (_, i) => `h${String(i).padStart(4, "0")}`);
    // the hosts as Hellos leave them (written in a few statements: the fixture is not under test)
    for (let i = 0; i < names.length; i += 500) {
      const chunk = names.slice(i, i + 500);
      await t.db.run(
        `INSERT INTO hosts (name, first_seen, last_seen, connected, connected_since, session_id) VALUES ${chunk.map(() => "(?, 1000, 1000, 1, 1000, ?)").join(", ")}`,
        chunk.flatMap((name) => [name, `s-${name}`]),
      );
    }
    for (const [i, name] of names.entries()) {
      store.touch(name, 10_000 + i, i, 2 * i);
      if (i % 2 === 0) store.markDisconnected(name, `s-${name}`, "partition", 20_000);
      if (i % 7 === 0) store.markDisconnected(name, "an-older-session", "stale", 30_000);
    }
    store.touch("unknown", 1, 1, 1);
    counter.statements = 0;
    await store.flush();
    // PostgreSQL: one statement for every host; SQLite: one prepared statement per touch and disconnect
    expect(counter.statements).toBe(engine === "postgres" ? 1 : 2_001 + 1_000 + 143);
    const rows = await t.db.all<{
      name: string;
      last_seen: number;
      last_agent_seq: number;
      last_controller_seq: number;
      connected: number;
      disconnect_reason: string;
    }>(
      "SELECT name, last_seen, last_agent_seq, last_controller_seq, connected, disconnect_reason FROM hosts ORDER BY name",
    );
    expect(rows).toHaveLength(2_000);
    for (const [i, r] of rows.entries()) {
      // a later markDisconnected of a host replaces its earlier one (i % 14 === 0: the stale one wins, and is ignored)
      const disconnected = i % 2 === 0 && i % 7 !== 0;
      expect(r).toEqual({
        name: names[i],
        last_seen: disconnected ? 20_000 : 10_000 + i,
        last_agent_seq: i,
        last_controller_seq: 2 * i,
        connected: disconnected ? 0 : 1,
        disconnect_reason: disconnected ? "partition" : "",
      });
    }
  });

  it("a failed flush keeps what it could not write for the next one", async () => {
    await store.recordHello(hello());
    // the hosts table cannot be written for now: the flush fails and rolls back
    const drop = "CREATE TRIGGER no_updates BEFORE UPDATE ON hosts";
    if (engine === "sqlite") await t.db.exec(`${drop} BEGIN SELECT RAISE(ABORT, 'read-only for the test'); END`);
    else
      await t.db.exec(`CREATE FUNCTION no_updates_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'read-only for the test'; END $$;
        ${drop} FOR EACH ROW EXECUTE FUNCTION no_updates_fn()`);
    try {
      store.touch("kvm01", 5000, 7, 3);
      store.markDisconnected("kvm01", "s1", "gone", 6000);
      await expect(store.flush()).rejects.toThrow(/read-only for the test/);
    } finally {
      await t.db.exec(
        engine === "sqlite"
          ? "DROP TRIGGER no_updates"
          : "DROP TRIGGER no_updates ON hosts; DROP FUNCTION no_updates_fn()",
      );
    }
    expect(await stored()).toEqual([{ name: "kvm01", connected: 1 }]);
    await store.flush();
    expect(await new HostStore(t.db).get("kvm01")).toMatchObject({
      connected: false,
      lastSeen: 6000,
      lastAgentSeq: 7,
      disconnectReason: "gone",
    });
  });

  it.runIf(engine === "postgres")(
    "a host's facts are stored out of its row: liveness writes copy a pointer, not kilobytes (schema step 14)",
    async () => {
      // Facts as an agent sends them: kilobytes of JSON that compress to more than the target.
      const facts = {
        interfaces: Array.from({ length: 40 }, (_, i) => ({
          name: `eth${i}`,
          mac: `52:54:00:${i}:${i * 7}`,
          mtu: 1500 + i,
        })),
        cpu: { model: "AMD EPYC".repeat(3), flags: Array.from({ length: 120 }, (_, i) => `f${i * 37}`) },
      };
      const factsJson = JSON.stringify(facts);
      expect(factsJson.length).toBeGreaterThan(3_000);
      await store.recordHello(hello({ name: "wide", factsJson }));
      store.touch("wide", 5000, 3, 4);
      await store.flush();
      // The facts are in the table's TOAST relation (the row keeps a pointer; a whole-row
      // size would not show it: composite values are flattened).
      const toast = (await t.db.get<{ toast: string }>(
        "SELECT reltoastrelid::regclass::text AS toast FROM pg_class WHERE oid = 'hosts'::regclass",
      ))!.toast;
      const chunks = (await t.db.get<{ n: number }>(`SELECT count(*)::int AS n FROM ${toast}`))!.n;
      expect(chunks).toBeGreaterThan(0);
      expect((await store.get("wide"))!.factsJson).toBe(factsJson);
      const options = (await t.db.get<{ o: string }>(
        "SELECT array_to_string(reloptions, ',') AS o FROM pg_class WHERE relname = 'hosts' AND relnamespace = current_schema()::regnamespace",
      ))!.o;
      expect(options).toContain("toast_tuple_target=256");
      expect(options).toContain("fillfactor=50");
    },
  );

  it.runIf(engine === "postgres")("reads while a flush is waiting for a host's row see what it writes", async () => {
    await store.recordHello(hello());
    let flushed: Promise<void> | undefined;
    // another controller's transaction holds the row: the flush waits for it
    await t.db.transaction(async (tx) => {
      await tx.get("SELECT name FROM hosts WHERE name = 'kvm01' FOR UPDATE");
      store.touch("kvm01", 5000, 7, 3);
      store.markDisconnected("kvm01", "s1", "gone", 6000);
      flushed = store.flush();
      await expect
        .poll(
          () =>
            t.db.get<{ n: number }>(
              "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            ),
          { timeout: 5_000, interval: 20 },
        )
        .toEqual({ n: 1 });
      expect(await store.get("kvm01")).toMatchObject({ connected: false, lastSeen: 6000, lastAgentSeq: 7 });
      expect(await stored()).toEqual([{ name: "kvm01", connected: 1 }]);
    });
    await flushed;
    expect(await stored()).toEqual([{ name: "kvm01", connected: 0 }]);
  });

  it.runIf(engine === "postgres")(
    "a flush and a Hello do not wait for transactions that only insert rows referring to the host",
    async () => {
      await store.recordHello(hello());
      await t.db.transaction(async (tx) => {
        // e.g. ingest storing a report: the foreign key takes a KEY SHARE lock on the host's row
        await tx.run(
          "INSERT INTO fact_history (host, changed_at, facts_fingerprint, changed_sections, facts_json) VALUES ('kvm01', 1, 'x', '[]', '{}')",
        );
        store.touch("kvm01", 5000, 7, 3);
        await store.flush();
        expect(
          (await store.recordFacts("kvm01", '{"cpu":1}', "fp9", 6000)) &&
            (await store.recordHello(hello({ sessionId: "s2", now: 7000 }))).host.lastSeen,
        ).toBe(7000);
      });
    },
  );

  it("forgets a removed host with its history and buffered liveness", async () => {
    await store.recordHello(hello());
    store.touch("kvm01", 5000, 7, 3);
    expect(await store.remove("kvm01")).toBe(true);
    expect(await store.remove("kvm01")).toBe(false);
    expect(await store.factHistory("kvm01", 10)).toEqual([]);
    await store.flush();
    expect(await store.count()).toBe(0);
  });

  it("marks every host disconnected at start", async () => {
    await store.recordHello(hello());
    await store.recordHello(hello({ name: "kvm02", sessionId: "x" }));
    expect(await store.markAllDisconnected("controller restarted")).toBe(2);
    expect((await store.list()).map((h) => h.connected)).toEqual([false, false]);
  });

  it("a rolled-back transaction leaves no hello behind", async () => {
    await expect(
      store.inTransaction(async (tx) => {
        await store.recordHello(hello(), tx);
        throw new Error("the batch failed");
      }),
    ).rejects.toThrow("the batch failed");
    expect(await store.has("kvm01")).toBe(false);
  });

  it("two stores over one database (two controllers) create a host once when their hellos race", async () => {
    const a = new HostStore(t.db);
    const b = new HostStore(t.db);
    let second: ReturnType<HostStore["recordHello"]> | undefined;
    const first = await a.inTransaction(async (tx) => {
      const r = await a.recordHello(hello({ sessionId: "a1", factsFingerprint: "fa", factsJson: '{"a":1}' }), tx);
      // b's Hello starts while a's insert is not committed: on PostgreSQL it finds no row, and
      // its insert waits for a's commit (then inserts nothing); on SQLite it waits for a's transaction.
      second = b.recordHello(hello({ sessionId: "b1", factsFingerprint: "fb", factsJson: '{"b":1}', now: 1001 }));
      if (engine === "postgres")
        await expect
          .poll(
            () =>
              t.postgres!.handle.get<{ n: number }>(
                "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
              ),
            { timeout: 5_000, interval: 20 },
          )
          .toEqual({ n: 1 });
      return r;
    });
    const other = await second!;
    expect([first.created, other.created]).toEqual([true, false]);
    expect(await store.count()).toBe(1);
    expect(await store.get("kvm01")).toMatchObject({ sessionId: "b1", firstSeen: 1000, lastSeen: 1001 });
    // both Hellos' facts are in the history, the second as a change from the first
    expect((await store.factHistory("kvm01", 10)).map((h) => [h.factsFingerprint, h.changedSections])).toEqual([
      ["fb", ["a", "b"]],
      ["fa", ["a"]],
    ]);
  });
});

describe("changedSections", () => {
  it("lists added, removed and changed top-level keys, ignoring key order", async () => {
    expect(changedSections('{"a":{"x":1,"y":2},"b":1}', '{"a":{"y":2,"x":1},"c":1}')).toEqual(["b", "c"]);
    expect(changedSections("not json", '{"a":1}')).toEqual(["a"]);
  });
});
