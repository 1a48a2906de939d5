import { waitUntil } from "../../harness/processes.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PgDatabase } from "../../../common/postgres/index.js";
import { FencedError, PgLeaderElection, type LeaderState } from "../../../controller/replicas/index.js";
import { openTestStore, type TestStore } from "../../harness/postgres.js";

/**
 * Leader election and fencing on a real PostgreSQL: replicas are separate connection pools to
 * one database, as separate processes would be.
 */
let store: TestStore;
const opened: { db: PgDatabase; election: PgLeaderElection; states: LeaderState[] }[] = [];

beforeEach(async () => {
  store = await openTestStore("postgres");
  await store.db.exec("CREATE TABLE duty_log (n BIGINT)");
});
afterEach(async () => {
  for (const r of opened.splice(0)) {
    await r.election.stop();
    await r.db.close();
  }
  await store.close();
});

async function replica(name: string) {
  const db = await PgDatabase.connect({ url: store.postgres!.url, max: 2 });
  const election = new PgLeaderElection(db, { replica: name, retryMs: 100, healthMs: 100, healthTimeoutMs: 1_000 });
  const states: LeaderState[] = [];
  election.onChange((s) => states.push(s));
  await election.start();
  const r = {
    db,
    election,
    states,
    write: (n: number) => election.fenced(db).run("INSERT INTO duty_log (n) VALUES (?)", [n]),
  };
  opened.push(r);
  return r;
}

const logged = async (): Promise<number[]> =>
  (await store.db.all<{ n: number }>("SELECT n FROM duty_log ORDER BY n")).map((r) => r.n);

describe("leader election on PostgreSQL", () => {
  it("one leader at a time: the first replica wins epoch 1, the second follows and its duty writes are refused", async () => {
    const a = await replica("a");
    const b = await replica("b");
    expect(a.election.state).toMatchObject({ leader: true, epoch: 1 });
    expect(b.election.state.leader).toBe(false);
    await a.write(1);
    await expect(b.write(2)).rejects.toBeInstanceOf(FencedError);
    expect(await logged()).toEqual([1]);
    // a follower still reads through its fenced handle, a read-only snapshot included
    const fencedB = b.election.fenced(b.db);
    expect(await fencedB.all("SELECT n FROM duty_log")).toEqual([{ n: 1 }]);
    expect(await fencedB.transaction((tx) => tx.all("SELECT n FROM duty_log"), { readOnlySnapshot: true })).toEqual([
      { n: 1 },
    ]);
    const row = await store.db.get<{ epoch: number; holder: string }>("SELECT epoch, holder FROM controller_leader");
    expect(row).toEqual({ epoch: 1, holder: "a" });
  });

  it("the leader's election connection cut (not the process): it stops at once, one replica is elected with a higher epoch", async () => {
    const a = await replica("a");
    const b = await replica("b");
    await a.write(1);
    await store.db.get(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'virtfleet-election-a'",
    );
    await waitUntil("a steps down", () =>
      a.states.some((s) => !s.leader && s.reason.startsWith("election connection lost")),
    );
    // whoever campaigns first wins (a reconnects too): exactly one leader, epoch 2
    const took = await waitUntil("a new leader", () => a.election.state.leader || b.election.state.leader);
    expect(took).toBeLessThan(5_000);
    const leaders = [a, b].filter((r) => r.election.state.leader);
    expect(leaders).toHaveLength(1);
    expect(leaders[0]!.election.state.epoch).toBe(2);
    const follower = a.election.state.leader ? b : a;
    await expect(follower.write(2)).rejects.toBeInstanceOf(FencedError);
    await leaders[0]!.write(3);
    expect(await logged()).toEqual([1, 3]);
  });

  it("a leader that has not noticed a newer epoch is fenced by the epoch check and steps down", async () => {
    const a = await replica("a");
    await a.write(1);
    // another replica won meanwhile (as after a network partition the old leader did not see)
    await store.db.run("UPDATE controller_leader SET epoch = epoch + 1, holder = 'elsewhere'");
    const err = await a.write(2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FencedError);
    expect((err as FencedError).message).toMatch(/led epoch 1 but epoch 2 has been elected since/);
    expect(a.election.state.leader).toBe(false);
    expect(await logged()).toEqual([1]);
  });

  it("a stopped leader releases the lock: a follower takes over within a retry", async () => {
    const a = await replica("a");
    const b = await replica("b");
    await a.election.stop();
    expect(a.election.state).toMatchObject({ leader: false, reason: "stopped" });
    await waitUntil("b is elected", () => b.election.state.leader, 2_000);
    expect(b.election.state.epoch).toBe(2);
  });
});
