import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../common/index.js";
import { HostStore } from "../../../controller/hosts/index.js";
import {
  listReplicas,
  liveReplicas,
  ReplicaHeartbeat,
  SoleLeader,
  StaleStreamSweep,
  type Leadership,
} from "../../../controller/replicas/index.js";
import { openTestStore, type TestStore } from "../../harness/postgres.js";

const dbNow = async (t: TestStore) =>
  Number((await t.db.get<{ t: number }>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS t"))!.t);

describe("ReplicaHeartbeat and the leader's sweep of dead replicas' hosts (PostgreSQL)", () => {
  let t: TestStore;
  const beats: ReplicaHeartbeat[] = [];
  beforeEach(async () => {
    t = await openTestStore("postgres");
  });
  afterEach(async () => {
    for (const b of beats.splice(0)) b.stop();
    await t.close();
  });

  it("registers at start and beats on the database's clock; a removed row comes back at the next beat", async () => {
    const before = await dbNow(t);
    const a = await ReplicaHeartbeat.start(
      t.db,
      { replica: "a", address: "10.0.0.1:7443", webUrl: "https://10.0.0.1:7444", version: "1.2.3" },
      { heartbeatMs: 50 },
    );
    beats.push(a);
    const [row] = await listReplicas(t.db);
    expect(row).toMatchObject({
      name: "a",
      address: "10.0.0.1:7443",
      webUrl: "https://10.0.0.1:7444",
      version: "1.2.3",
    });
    expect(row!.startedAt).toBeGreaterThanOrEqual(before);
    const first = row!.lastSeen;
    await new Promise((r) => setTimeout(r, 200));
    const [later] = await listReplicas(t.db);
    expect(later!.lastSeen).toBeGreaterThan(first);
    expect(later!.seenAgoMs).toBeLessThan(1_000);
    await a.restate({ webUrl: "https://10.0.0.1:8444" });
    expect((await listReplicas(t.db))[0]!.webUrl).toBe("https://10.0.0.1:8444");
    await t.db.run("DELETE FROM controller_replicas");
    await a.beat();
    expect((await listReplicas(t.db)).map((r) => r.name)).toEqual(["a"]);
  });

  it("a heartbeat after a silence as long as the leader's threshold restates the streams (revived), once", async () => {
    let revived = 0;
    const a = await ReplicaHeartbeat.start(
      t.db,
      { replica: "a", address: "a:7443", version: "1" },
      { heartbeatMs: 60_000, staleAfterMs: 150, revived: async () => revived++ },
    );
    beats.push(a);
    await a.beat();
    expect(revived).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    await a.beat();
    expect(revived).toBe(1);
    await a.beat();
    expect(revived).toBe(1);
  });

  it("the leader marks disconnected the hosts of a replica not seen for long, and of none; a follower marks nothing", async () => {
    for (const replica of ["a", "b"])
      beats.push(await ReplicaHeartbeat.start(t.db, { replica, address: `${replica}:7443`, version: "1" }));
    // b was last seen a minute ago (on the database's clock).
    await t.db.run("UPDATE controller_replicas SET last_seen = last_seen - 60000 WHERE name = 'b'");
    beats.find((b) => b.replica === "b")!.stop();
    expect(await liveReplicas(t.db, 30_000)).toEqual(["a"]);
    const hosts = new HostStore(t.db);
    const hello = (name: string, replica: string) =>
      hosts.recordHello({
        name,
        agentVersion: "1",
        factsJson: "{}",
        factsFingerprint: "f",
        sessionId: name,
        peer: "p",
        now: 1,
        replica,
      });
    await hello("on-a", "a");
    await hello("on-b", "b");
    await hello("on-gone", "gone");
    const follower: Leadership = {
      state: { leader: false, epoch: 0, reason: "test" },
      onChange: () => () => undefined,
      fenced: (db) => db,
      stop: async () => undefined,
    };
    expect(await new StaleStreamSweep({ db: t.db, leadership: follower, hosts, log: silentLogger() }).sweep()).toEqual(
      [],
    );
    const told: string[][] = [];
    const sweep = new StaleStreamSweep({
      db: t.db,
      leadership: new SoleLeader(),
      hosts,
      onMarked: (h) => told.push([...h]),
      log: silentLogger(),
    });
    expect(await sweep.sweep()).toEqual(["on-b", "on-gone"]);
    expect(told).toEqual([["on-b", "on-gone"]]);
    const rows = await hosts.list();
    expect(rows.map((h) => [h.name, h.connected])).toEqual([
      ["on-a", true],
      ["on-b", false],
      ["on-gone", false],
    ]);
    expect(rows[1]!.disconnectReason).toBe("its controller replica was not seen for 30 s: b");
    expect(await sweep.sweep()).toEqual([]);
    expect(told).toHaveLength(1);
  });
});
