import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgDatabase } from "../../common/postgres/index.js";
import { waitForHost } from "../harness/fleet.js";
import { waitFor } from "../harness/processes.js";
import { ReplicaFleet } from "../harness/replicas.js";
import {
  definedMemoryMiB,
  domainState,
  markerDomain,
  policyDoc,
  rolloutBlock,
  runningDomain,
} from "../harness/rollout.js";
import { virsh } from "../harness/virsh.js";

// Three controller replicas on one PostgreSQL database (active/standby: the elected one
// serves), three agents given all three addresses, on this machine's libvirtd.
const fleet = new ReplicaFleet();
const POLICY = "app";
const FILE = "app.yaml";
const cfgOf = (host: string) => definedMemoryMiB(`${host}-cfg`);
const appDoc = (cfgMiB: number, soak: string) =>
  policyDoc(POLICY, {
    rollout: rolloutBlock({ canary: 1, batchSize: 2, soak }),
    resources: { domains: [runningDomain("web"), markerDomain("cfg", cfgMiB)] },
  });

async function everyHostAt(mib: number, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `every host at ${mib} MiB`,
    async () => {
      for (const n of fleet.hosts) if ((await cfgOf(n)) !== mib) return undefined;
      return true;
    },
    timeoutMs,
    250,
  );
}

let v1 = "";
beforeAll(async () => {
  await fleet.start({ replicas: 3, hosts: 3 });
  for (const h of fleet.hosts) await waitForHost(fleet.addressList, h, true, 30_000);
  fleet.write(FILE, appDoc(80, "0s"));
  v1 = await fleet.waitNewRevision(POLICY, undefined);
  await fleet.waitStatus(POLICY, "v1 rolled out", (s) => s.revision === v1 && s.state === "succeeded", 90_000);
  await everyHostAt(80);
}, 180_000);

afterAll(() => fleet.stop(), 60_000);

describe("controller replicas on PostgreSQL", () => {
  it("one replica serves; the others stand by and are not reachable", async () => {
    const leader = fleet.leader()!;
    const standbys = fleet.replicas.filter((r) => r !== leader);
    expect(standbys).toHaveLength(2);
    for (const r of standbys) {
      expect(r.proc.running).toBe(true);
      expect(r.proc.stdout).not.toMatch(/listening on/);
      expect(
        r.proc.logs().some((l) => l.msg === "standby: another replica leads; this one takes over when it stops"),
      ).toBe(true);
    }
  });

  it("kill -9 of the leader during a canary's soak: a standby leads within 10 s, agents are back within 5 s of it, the rollout carries on from the same stage, drift made meanwhile is stored once", async () => {
    fleet.write(FILE, appDoc(96, "8s"));
    const v2 = await fleet.waitNewRevision(POLICY, v1);
    const before = await fleet.waitStatus(
      POLICY,
      "the canary soaking",
      (s) => s.revision === v2 && s.stages[1]!.state === "soaking",
      45_000,
    );

    const old = fleet.leader()!;
    const killedAt = Date.now();
    await old.proc.stop("SIGKILL");
    // drift while no controller serves: the agent repairs it and keeps the event for the next one
    const victim = fleet.host(1);
    await virsh("destroy", `${victim}-web`);
    const next = await fleet.waitLeader(10_000, old);
    const tookOver = Date.now() - killedAt;
    expect(tookOver).toBeLessThan(10_000);
    const servingAt = Date.now();
    for (const h of fleet.hosts) await waitForHost(next.address, h, true, 10_000);
    expect(Date.now() - servingAt).toBeLessThan(5_000 + 2_000 /* the CLI's own polling */);

    const after = (await fleet.status(POLICY))!;
    expect(after).toMatchObject({ id: before.id, revision: v2 });
    expect(after.stages[1]!.startedAt).toBe(before.stages[1]!.startedAt);
    const done = await fleet.waitStatus(
      POLICY,
      "v2 finished",
      (s) => s.revision === v2 && s.state === "succeeded",
      90_000,
    );
    expect(done.id).toBe(before.id);
    await everyHostAt(96);
    await waitFor(
      "the guest repaired",
      async () => ((await domainState(`${victim}-web`)) === "running" ? true : undefined),
      20_000,
    );

    // the drift of that guest since the kill: stored once (ids are unique per detection; no replay twice)
    const db = await PgDatabase.connect({ url: fleet.database.url, max: 1 });
    try {
      const rows = await waitFor(
        "the drift stored",
        async () => {
          const r = await db.all<{ id: string; event_seq: number }>(
            "SELECT id, event_seq FROM drift_events WHERE host = ? AND name = ? AND detected_at >= ?",
            [victim, `${victim}-web`, killedAt - 1_000],
          );
          return r.length > 0 ? r : undefined;
        },
        20_000,
      );
      expect(rows).toHaveLength(1);
      const seqs = await db.all<{ n: number }>(
        "SELECT COUNT(*) AS n FROM reports WHERE host = ? GROUP BY event_seq HAVING COUNT(*) > 1",
        [victim],
      );
      expect(seqs).toEqual([]);
    } finally {
      await db.close();
    }
  }, 240_000);

  it("the killed replica started again stands by", async () => {
    const dead = fleet.replicas.find((r) => !r.proc.running)!;
    const p = fleet.startReplica(dead);
    await waitFor(
      "the restarted replica to stand by",
      () =>
        p.logs().some((l) => l.msg === "standby: another replica leads; this one takes over when it stops")
          ? true
          : undefined,
      15_000,
    );
    expect(p.stdout).not.toMatch(/listening on/);
  });
});
