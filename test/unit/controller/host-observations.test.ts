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
