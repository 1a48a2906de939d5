import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HostObservations, HostStore } from "../../../controller/hosts/index.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

const hello = (name: string) => ({
  name,
  agentVersion: "1",
  factsJson: "{}",
  factsFingerprint: "fp",
  sessionId: `s-${name}`,
  peer: "p",
  now: 1000,
});

/** Transactions of this database waiting for a row lock (PostgreSQL). */
const lockWaits = (t: TestStore) =>
  t.db.get<{ n: number }>(
    "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
  );

describe.each(ENGINES)("HostObservations (%s)", (engine) => {
  let t: TestStore;
  let observations: HostObservations;
  beforeAll(async () => {
    t = await openTestStore(engine);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.db.run("DELETE FROM hosts");
    const hosts = new HostStore(t.db);
    for (const name of ["kvm01", "kvm02"]) await hosts.recordHello(hello(name));
    observations = new HostObservations(t.db);
  });

  it("raises a host's last event_seq, never lowers it, and knows no unknown host", async () => {
    expect(await observations.lastEventSeq("kvm01")).toBe(0);
    expect(await observations.lastEventSeq("nobody")).toBeUndefined();
    await observations.advanceEventSeq("kvm01", 7);
    await observations.advanceEventSeq("kvm01", 3);
    expect(await observations.lastEventSeq("kvm01")).toBe(7);
    expect(await observations.lastEventSeq("kvm02")).toBe(0);
    await observations.advanceEventSeq("nobody", 3);
    expect(await observations.lastEventSeq("nobody", t.db, { forUpdate: true })).toBeUndefined();
  });

  it("records what a host reported converging and gives every host's observed state", async () => {
    await observations.recordObserved("kvm02", 4, "rev-4", 5000);
    await t.db.run("UPDATE hosts SET connected = 0 WHERE name = 'kvm01'");
    expect(await observations.states()).toEqual(
      expect.arrayContaining([
        { name: "kvm01", connected: false, observedGeneration: 0, lastReportAt: null },
        { name: "kvm02", connected: true, observedGeneration: 4, lastReportAt: 5000 },
      ]),
    );
    expect(await observations.states("kvm02")).toEqual([
      { name: "kvm02", connected: true, observedGeneration: 4, lastReportAt: 5000 },
    ]);
    expect(await observations.states("nobody")).toEqual([]);
    expect(await new HostStore(t.db).get("kvm02")).toMatchObject({ observedGeneration: 4, observedRevision: "rev-4" });
  });

  it("with forUpdate, two transactions deciding from one host's last event_seq run one after the other", async () => {
    // Each transaction stores 5 "new" events after what it read: the second must read what the first stored.
    const ingest = (extra: number, during?: () => Promise<void>) =>
      t.db.transaction(async (tx) => {
        const last = (await observations.lastEventSeq("kvm01", tx, { forUpdate: true }))!;
        await during?.();
        await observations.advanceEventSeq("kvm01", last + extra, tx);
        return last;
      });
    let second: Promise<number> | undefined;
    const first = await ingest(5, async () => {
      second = ingest(5);
      // PostgreSQL: the second waits for the first's row lock; SQLite: for its transaction
      if (engine === "postgres")
        await expect.poll(() => lockWaits(t), { timeout: 5_000, interval: 20 }).toEqual({ n: 1 });
    });
    expect([first, await second]).toEqual([0, 5]);
    expect(await observations.lastEventSeq("kvm01")).toBe(10);
  });

  it("reads, raises and records a set of hosts in one call each", async () => {
    expect(await observations.lastEventSeqs([])).toEqual(new Map());
    await observations.advanceEventSeqs(
      new Map([
        ["kvm01", 7],
        ["kvm02", 4],
        ["nobody", 9],
      ]),
    );
    await observations.advanceEventSeqs(
      new Map([
        ["kvm01", 3],
        ["kvm02", 6],
      ]),
    );
    expect(await observations.lastEventSeqs(["kvm02", "nobody", "kvm01", "kvm02"])).toEqual(
      new Map([
        ["kvm01", 7],
        ["kvm02", 6],
      ]),
    );
    await observations.recordObservedMany(
      [
        { host: "kvm01", generation: 3, revision: "rev-3" },
        { host: "kvm02", generation: 5, revision: "rev-5" },
        { host: "nobody", generation: 1, revision: "rev-1" },
      ],
      7000,
    );
    expect(await observations.states()).toEqual(
      expect.arrayContaining([
        { name: "kvm01", connected: true, observedGeneration: 3, lastReportAt: 7000 },
        { name: "kvm02", connected: true, observedGeneration: 5, lastReportAt: 7000 },
      ]),
    );
    expect(await new HostStore(t.db).get("kvm02")).toMatchObject({ observedRevision: "rev-5" });
    await observations.recordObservedMany([], 8000);
    expect(await observations.states("kvm01")).toMatchObject([{ lastReportAt: 7000 }]);
  });

  it("lastEventSeqs with forUpdate: two transactions deciding from overlapping hosts run one after the other", async () => {
    // Each adds 5 to the seqs it read: the second must read what the first stored (no lost update).
    const ingest = (hosts: string[], during?: () => Promise<void>) =>
      t.db.transaction(async (tx) => {
        const last = await observations.lastEventSeqs(hosts, tx, { forUpdate: true });
        await during?.();
        await observations.advanceEventSeqs(new Map([...last].map(([h, seq]) => [h, seq + 5])), tx);
        return Object.fromEntries(last);
      });
    let second: Promise<Record<string, number>> | undefined;
    const first = await ingest(["kvm01", "kvm02"], async () => {
      second = ingest(["kvm02", "kvm01"]);
      if (engine === "postgres")
        await expect.poll(() => lockWaits(t), { timeout: 5_000, interval: 20 }).toEqual({ n: 1 });
    });
    expect([first, await second]).toEqual([
      { kvm01: 0, kvm02: 0 },
      { kvm01: 5, kvm02: 5 },
    ]);
    expect(await observations.lastEventSeqs(["kvm01", "kvm02"])).toEqual(
      new Map([
        ["kvm01", 10],
        ["kvm02", 10],
      ]),
    );
  });

  it.runIf(engine === "postgres")(
    "lastEventSeqs locks in byte order of the names, not the table's order: no deadlock with a host-by-host locker",
    async () => {
      // Stored after kvm01/kvm02 in this order, so a scan of the table meets kvm09 before kvm03.
      const hosts = new HostStore(t.db);
      for (const name of ["kvm09", "kvm03"]) await hosts.recordHello(hello(name));
      let batch: Promise<Map<string, number>> | undefined;
      // B locks kvm03 then kvm09 one at a time (byte order), A both at once while B holds kvm03.
      await t.db.transaction(async (b) => {
        await observations.lastEventSeq("kvm03", b, { forUpdate: true });
        batch = t.db.transaction(async (a) => {
          const seqs = await observations.lastEventSeqs(["kvm09", "kvm03"], a, { forUpdate: true });
          await observations.advanceEventSeqs(new Map([...seqs].map(([h, s]) => [h, s + 1])), a);
          return seqs;
        });
        await expect.poll(() => lockWaits(t), { timeout: 5_000, interval: 20 }).toEqual({ n: 1 });
        // Had A locked kvm09 first, this would wait for A while A waits for B: a deadlock.
        await observations.lastEventSeq("kvm09", b, { forUpdate: true });
        await observations.advanceEventSeqs(
          new Map([
            ["kvm03", 2],
            ["kvm09", 2],
          ]),
          b,
        );
      });
      expect(await batch).toEqual(
        new Map([
          ["kvm03", 2],
          ["kvm09", 2],
        ]),
      );
      expect(await observations.lastEventSeqs(["kvm03", "kvm09"])).toEqual(
        new Map([
          ["kvm03", 3],
          ["kvm09", 3],
        ]),
      );
    },
  );

  it.runIf(engine === "postgres")(
    "without forUpdate the read takes no lock (compliance's reads never wait)",
    async () => {
      await t.db.transaction(async (tx) => {
        await observations.lastEventSeq("kvm01", tx, { forUpdate: true });
        expect(await observations.lastEventSeq("kvm01")).toBe(0);
        expect(await observations.states("kvm01")).toHaveLength(1);
      });
    },
  );
});
