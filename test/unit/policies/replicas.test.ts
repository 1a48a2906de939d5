import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../common/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import {
  PolicyRepository,
  PolicyStore,
  type PolicyChange,
  type PolicyChangeOrigin,
} from "../../../controller/policies/index.js";
import { PgLeaderElection, PgSignals } from "../../../controller/replicas/index.js";
import { openTestStore, type TestStore } from "../../harness/postgres.js";
import { policyYaml, tempFolder } from "./fixtures.js";

/**
 * Policies on two controller replicas sharing one PostgreSQL database, each with its own pool,
 * leader election and signals (as two processes would): the leader loads the folder, the
 * follower follows the store.
 */
interface Replica {
  name: string;
  db: PgDatabase;
  election: PgLeaderElection;
  signals: PgSignals;
  repo: PolicyRepository;
  changes: { change: PolicyChange; origin: PolicyChangeOrigin; at: number }[];
}

let store: TestStore;
let folder: ReturnType<typeof tempFolder>;
const replicas: Replica[] = [];

beforeEach(async () => {
  store = await openTestStore("postgres");
  folder = tempFolder();
});

afterEach(async () => {
  for (const r of replicas.splice(0).reverse()) {
    await r.repo.close();
    await r.election.stop();
    await r.signals.stop();
    await r.db.close();
  }
  await store.close();
  folder.cleanup();
});

async function replica(name: string, dir: string | null = folder.dir, reconnectMs = 100): Promise<Replica> {
  const db = await PgDatabase.connect({ url: store.postgres!.url, max: 3 });
  const election = new PgLeaderElection(db, { replica: name, retryMs: 100, healthMs: 100, healthTimeoutMs: 1_000 });
  await election.start();
  const signals = await PgSignals.start(db, { replica: name, reconnectMs });
  const repo = new PolicyRepository({
    dir,
    store: new PolicyStore(db),
    log: silentLogger(),
    debounceMs: 50,
    leadership: election,
    signals,
  });
  const r: Replica = { name, db, election, signals, repo, changes: [] };
  repo.onChange((change, origin) => {
    r.changes.push({ change, origin, at: Date.now() });
  });
  replicas.push(r);
  await repo.start();
  return r;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 5_000): Promise<number> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

const inForce = (r: Replica) =>
  r.repo
    .current()
    .policies.map((p) => `${p.name}@${p.revision}`)
    .sort();

const storedInForce = async () =>
  (await new PolicyStore(store.db).inForce()).map((r) => `${r.policy}@${r.revision}`).sort();

const watcherOf = (r: Replica) => (r.repo as unknown as { watcher?: { ready: Promise<void> } }).watcher;
const watching = (r: Replica) => watcherOf(r) !== undefined;
/** The initial load's change (a fresh store) is not what a test looks at. */
const settled = async (...rs: Replica[]) => {
  for (const r of rs) {
    await watcherOf(r)?.ready;
    r.changes.length = 0;
  }
};

describe("policies on two replicas (PostgreSQL)", () => {
  it("the leader loads the folder; the follower's current() and onChange follow within a second, and it never loads", async () => {
    folder.write("a.yaml", policyYaml("a"));
    const a = await replica("a");
    const b = await replica("b");
    expect([a.repo.isLeader, b.repo.isLeader]).toEqual([true, false]);
    expect(watching(a)).toBe(true);
    expect(watching(b)).toBe(false);
    // b took the stored revisions as its baseline at start (no listener call for it)
    expect(inForce(b)).toEqual(inForce(a));
    expect(inForce(a)).toHaveLength(1);
    expect(b.changes).toEqual([]);
    expect(a.changes.map((c) => c.change.created)).toEqual([["a"]]);
    await settled(a, b);

    // a change and a new policy: a's watch loads it, b follows from the store
    folder.write("a.yaml", policyYaml("a", { bridge: "vfbr-a2" }));
    folder.write("b.yaml", policyYaml("b"));
    await until("b follows", () => b.changes.length > 0 && inForce(b).length === 2);
    expect(a.changes.map((c) => c.origin)).toEqual(["folder"]);
    expect(b.changes.map((c) => c.origin)).toEqual(["store"]);
    expect(b.changes[0]!.change).toEqual(a.changes[0]!.change);
    expect(b.changes[0]!.change).toEqual({ created: ["a", "b"], removed: [], inventoryChanged: false });
    expect(b.changes[0]!.at - a.changes[0]!.at).toBeLessThan(1_000);
    expect(inForce(b)).toEqual(inForce(a));
    expect(inForce(b)).toEqual(await storedInForce());

    // a removal and an inventory change reach b the same way
    rmSync(join(folder.dir, "b.yaml"));
    folder.write("inventory.yaml", "groups:\n  web:\n    hosts: [h1]\n");
    await until("b follows the removal", () => b.changes.length === 2);
    expect(b.changes[1]!.change).toEqual(a.changes[1]!.change);
    expect(b.changes[1]!.change).toEqual({ created: [], removed: ["b"], inventoryChanged: true });
    expect([...b.repo.current().inventory.groups.keys()]).toContain("web");

    // only the inventory: signalled too
    folder.write("inventory.yaml", "groups:\n  web:\n    hosts: [h1, h2]\n");
    await until("b follows the inventory", () => b.changes.length === 3);
    expect(b.changes[2]!.change).toEqual({ created: [], removed: [], inventoryChanged: true });
    // the follower never wrote a load attempt of its own: every attempt is a's
    const loads = await store.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM policy_loads");
    expect(Number(loads[0]!.n)).toBe(4);
  });

  it("a rejected load changes nothing on either replica", async () => {
    folder.write("a.yaml", policyYaml("a"));
    const a = await replica("a");
    const b = await replica("b");
    const before = inForce(a);
    await settled(a, b);
    folder.write("a.yaml", `${policyYaml("a", { bridge: "vfbr-a2" })}  bogus: 1\n`);
    await until("a rejects the change", async () => (await new PolicyStore(store.db).lastLoad())?.accepted === false);
    // a signal would arrive within ms: give it time to be (wrongly) acted on
    await new Promise((r) => setTimeout(r, 500));
    expect(a.changes).toEqual([]);
    expect(b.changes).toEqual([]);
    expect(inForce(a)).toEqual(before);
    expect(inForce(b)).toEqual(before);
    expect(await storedInForce()).toEqual(before);
  });

  it("a leadership change moves the folder watch: the new leader syncs, loads and watches; the old one stops at once", async () => {
    folder.write("a.yaml", policyYaml("a"));
    const a = await replica("a");
    const b = await replica("b");
    expect(watching(a)).toBe(true);
    await a.election.stop();
    expect(a.repo.isLeader).toBe(false);
    expect(watching(a)).toBe(false);
    await until("b leads and watches", () => b.repo.isLeader && watching(b));
    await settled(a, b);
    // what the new leader's watch sees is loaded by it and followed by a
    folder.write("c.yaml", policyYaml("c"));
    await until("a follows b's load", () => a.changes.length > 0);
    expect(b.changes).toEqual([
      { change: { created: ["c"], removed: [], inventoryChanged: false }, origin: "folder", at: expect.any(Number) },
    ]);
    expect(a.changes.map((c) => c.origin)).toEqual(["store"]);
    expect(inForce(a)).toEqual(inForce(b));
    expect(await a.repo.reload()).toMatchObject({ accepted: false });
    expect(a.changes).toHaveLength(1);
  });

  it("a change stored while a replica was not leading is synced when it takes over, before its folder load", async () => {
    folder.write("a.yaml", policyYaml("a"));
    const a = await replica("a");
    const other = tempFolder();
    try {
      // b has its own folder (not shared): on taking over it first follows the store, then loads its folder
      other.write("z.yaml", policyYaml("z"));
      const b = await replica("b", other.dir);
      await settled(a, b);
      await a.election.stop();
      await until("b leads", () => b.repo.isLeader && watching(b));
      await until("b loaded its folder", () => inForce(b).some((p) => p.startsWith("z@")));
      expect(inForce(b)).toHaveLength(1);
      expect(b.changes.map((c) => [c.origin, c.change.created, c.change.removed])).toEqual([["folder", ["z"], ["a"]]]);
      await until("a follows", () => inForce(a).join() === inForce(b).join());
    } finally {
      other.cleanup();
    }
  });

  it("a follower whose listening connection was down re-reads the store when it is back (resync)", async () => {
    folder.write("a.yaml", policyYaml("a"));
    const a = await replica("a");
    const b = await replica("b", folder.dir, 1_500);
    await settled(a, b);
    await store.db.get(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'virtfleet-signals-b'",
    );
    await until(
      "b's listening connection is gone",
      async () =>
        (
          await store.db.all(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'virtfleet-signals-b'",
          )
        ).length === 0,
    );
    folder.write("a.yaml", policyYaml("a", { bridge: "vfbr-a3" }));
    await until("a loads the change", () => a.changes.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(b.changes).toEqual([]); // its signal was lost
    await until("b resyncs", () => b.changes.length === 1, 5_000);
    expect(b.changes[0]!.change).toEqual({ created: ["a"], removed: [], inventoryChanged: false });
    expect(inForce(b)).toEqual(inForce(a));
  });
});
