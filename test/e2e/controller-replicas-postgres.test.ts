import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgDatabase } from "../../common/postgres/index.js";
import { waitForHost } from "../harness/fleet.js";
import { runCli, spawnCli, waitFor } from "../harness/processes.js";
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

// Three controller replicas on one PostgreSQL database (every one serves agents and admins,
// the elected one also runs the duties), three agents given all three addresses, each trying
// another replica first, on this machine's libvirtd.
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

/** Waits until every host's stream is held by a running replica (the store says so); returns the holders. */
function everyHostHeld(timeoutMs: number): Promise<Map<string, string>> {
  const running = () => new Set(fleet.replicas.filter((r) => r.proc.running).map((r) => r.name));
  return waitFor(
    "every host held by a running replica",
    async () => {
      const held = await fleet.holders();
      const live = running();
      return fleet.hosts.every((h) => live.has(held.get(h) ?? "")) ? held : undefined;
    },
    timeoutMs,
    100,
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
  it("every replica serves the agents that chose it; one leads the duties; a policy change reached agents on every replica", async () => {
    expect(fleet.serving()).toHaveLength(3);
    const leaders = fleet.replicas.filter((r) => fleet.leads(r));
    expect(leaders).toHaveLength(1);
    for (const r of fleet.replicas.filter((x) => x !== leaders[0]))
      expect(r.proc.logs().some((l) => String(l.msg).startsWith("following:"))).toBe(true);
    // host i chose replica i: the three streams are on three replicas, and v1 reached them all
    const held = await fleet.holders();
    expect([...held.values()].sort()).toEqual(["r1", "r2", "r3"]);
    await everyHostAt(80);
  });

  it("drift an agent reports to one replica is seen by `drift watch` on another within a second", async () => {
    const held = await fleet.holders();
    const host = fleet.hosts[0]!;
    const holder = fleet.replicas.find((r) => r.name === held.get(host))!;
    const other = fleet.replicas.find((r) => r !== holder)!;
    // the same watch on the replica that ingests it and on another: the difference is the relay's
    const watches = [holder, other].map((r) =>
      spawnCli(["drift", "watch", "--json", "--controller", r.address, "--insecure"]),
    );
    for (const w of watches)
      await waitFor("drift watch to open", () => (w.stderr.includes("watching drift events") ? true : undefined));
    const seenAt: number[] = [];
    await virsh("destroy", `${host}-web`);
    const lines = await Promise.all(
      watches.map((w, i) =>
        waitFor(
          "the drift on the watch",
          () => {
            const line = w.stdout.split("\n").find((l) => l.includes(`${host}-web`));
            if (line) seenAt[i] ??= Date.now();
            return line;
          },
          10_000,
          5,
        ),
      ),
    );
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ host, name: `${host}-web` });
    const relayMs = seenAt[1]! - seenAt[0]!;
    console.info(`drift ingested by ${holder.name} seen on ${other.name}'s watch ${relayMs} ms after its own watch`);
    expect(relayMs).toBeLessThan(1_000);
    for (const w of watches) await w.stop("SIGINT");
    await waitFor(
      "the guest repaired",
      async () => ((await domainState(`${host}-web`)) === "running" ? true : undefined),
      20_000,
    );
  });

  it("`plan POLICY --json` asked of any replica lists every target planned, hosts held by the other replicas included", async () => {
    const held = await everyHostHeld(10_000);
    for (const r of fleet.serving()) {
      const t = Date.now();
      const res = await runCli(["plan", POLICY, "--json", "--timeout", "10s", "--controller", r.address, "--insecure"]);
      expect(res.code, res.stderr).toBe(0);
      const plan = JSON.parse(res.stdout) as { hosts: { name: string; status: string }[] };
      expect(plan.hosts.map((h) => [h.name, h.status]).sort()).toEqual(fleet.hosts.map((h) => [h, "planned"]).sort());
      const elsewhere = fleet.hosts.filter((h) => held.get(h) !== r.name).length;
      console.info(
        `plan asked of ${r.name}: ${elsewhere} of ${fleet.hosts.length} targets held elsewhere, ${Date.now() - t} ms`,
      );
      expect(elsewhere).toBeGreaterThan(0);
    }
  }, 30_000);

  it("kill -9 of the leader during a canary's soak: another replica leads within 10 s, its agents are back on others within 5 s, the rollout carries on from the same stage, drift made meanwhile is stored once", async () => {
    fleet.write(FILE, appDoc(96, "8s"));
    const v2 = await fleet.waitNewRevision(POLICY, v1);
    const before = await fleet.waitStatus(
      POLICY,
      "the canary soaking",
      (s) => s.revision === v2 && s.stages[1]!.state === "soaking",
      45_000,
    );

    const old = fleet.leader()!;
    const heldBefore = await fleet.holders();
    const orphaned = fleet.hosts.filter((h) => heldBefore.get(h) === old.name);
    expect(orphaned.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    await old.proc.stop("SIGKILL");
    // drift on a host of a later stage (drift on a soaking host would fail the canary), made
    // while its replica may be gone: the agent repairs it and keeps the event for the next one
    const victim = before.stages[2]!.hosts[0]!;
    await virsh("destroy", `${victim}-web`);
    const next = await fleet.waitLeader(10_000, old);
    const tookOver = Date.now() - killedAt;
    expect(tookOver).toBeLessThan(10_000);
    const held = await everyHostHeld(5_000 + 1_000 /* the store's view */);
    const back = Date.now() - killedAt;
    expect(back).toBeLessThan(6_000);
    for (const h of fleet.hosts.filter((x) => !orphaned.includes(x))) expect(held.get(h)).toBe(heldBefore.get(h));
    console.info(
      `leader ${old.name} killed: ${next.name} leads after ${tookOver} ms; its agents (${orphaned.join(", ")}) on other replicas ${back} ms after the kill`,
    );

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

  it("kill -9 of a replica that only serves agents: they are back on another within 5 s; the leader is untouched", async () => {
    const dead = fleet.replicas.find((r) => !r.proc.running)!;
    const p = fleet.startReplica(dead);
    await waitFor(
      "the restarted replica to follow",
      () =>
        p.logs().some((l) => String(l.msg).startsWith("following:")) && /listening on/.test(p.stdout)
          ? true
          : undefined,
      15_000,
    );
    const leader = fleet.leader()!;
    // a host moved onto the restarted replica by killing the one holding it, or one already there
    const heldBefore = await fleet.holders();
    const victim = fleet.replicas.find(
      (r) => r !== leader && r.proc.running && fleet.hosts.some((h) => heldBefore.get(h) === r.name),
    );
    expect(victim, "a follower holding a stream").toBeDefined();
    const moved = fleet.hosts.filter((h) => heldBefore.get(h) === victim!.name);
    const killedAt = Date.now();
    await victim!.proc.stop("SIGKILL");
    await everyHostHeld(6_000);
    const back = Date.now() - killedAt;
    expect(back).toBeLessThan(6_000);
    expect(fleet.leader()).toBe(leader);
    console.info(
      `follower ${victim!.name} killed: its agents (${moved.join(", ")}) on other replicas ${back} ms later`,
    );
    fleet.startReplica(victim!);
  }, 60_000);

  it("fencing: the leader's election connection cut (not the process) during a soak: it stops acting at once, another leads, the rollout carries on", async () => {
    fleet.write(FILE, appDoc(104, "6s"));
    const v3 = await fleet.waitNewRevision(POLICY, await fleet.policyRevision(POLICY));
    const before = await fleet.waitStatus(
      POLICY,
      "the canary soaking",
      (s) => s.revision === v3 && s.stages[1]!.state === "soaking",
      45_000,
    );
    const old = fleet.leader()!;
    const db = await PgDatabase.connect({ url: fleet.database.url, max: 1 });
    try {
      const cut = await db.all<{ pid: number }>(
        // this database's only: other tests and benchmarks on the cluster name replicas r1, r2… too
        "SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?",
        [`virtfleet-election-${old.name}`],
      );
      expect(cut).toHaveLength(1);
    } finally {
      await db.close();
    }
    await waitFor(
      "the old leader to give up",
      () => (old.proc.logs().some((l) => String(l.msg).startsWith("lost the leadership")) ? true : undefined),
      5_000,
    );
    expect(old.proc.running).toBe(true);
    // a new epoch: another replica, or the same process that started again and won the lock anew
    const next = await fleet.waitLeader(10_000);
    console.info(`election connection of ${old.name} cut: ${next.name} leads`);
    const after = (await fleet.status(POLICY))!;
    expect(after).toMatchObject({ id: before.id, revision: v3 });
    expect(after.stages[1]!.startedAt).toBe(before.stages[1]!.startedAt);
    const done = await fleet.waitStatus(
      POLICY,
      "v3 finished",
      (s) => s.revision === v3 && s.state === "succeeded",
      90_000,
    );
    expect(done.id).toBe(before.id);
    await everyHostAt(104);
    // the old leader's process started again (as a follower, or leading anew) and serves
    expect(old.proc.stdout).toMatch(/listening on[\s\S]*listening on/);
  }, 150_000);

  it("rollout commands asked of a follower are run by the leader (the CLI is told its address)", async () => {
    const leader = fleet.leader()!;
    const follower = fleet.serving().find((r) => r !== leader)!;
    fleet.write(FILE, appDoc(112, "60s"));
    await fleet.waitStatus(POLICY, "the canary soaking", (s) => s.stages[1]?.state === "soaking", 45_000);
    const ask = (action: string) =>
      runCli(["rollout", action, POLICY, "--controller", follower.address, "--insecure", "--reason", "e2e"]);
    const paused = await ask("pause");
    expect(paused.code, paused.stderr).toBe(0);
    expect((await fleet.status(POLICY))!.state).toBe("paused");
    const resumed = await ask("resume");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await fleet.status(POLICY))!.state).toBe("running");
    const aborted = await ask("abort");
    expect(aborted.code, aborted.stderr).toBe(0);
    // a command that does not apply is the leader's refusal (exit 4), not the follower's
    const again = await ask("pause");
    expect(again.code).toBe(4);
    expect(again.stderr).not.toContain("does not run rollouts");
  }, 90_000);

  it("SIGTERM stops a leader and a follower (exit 0, not started again); another replica leads", async () => {
    const leader = fleet.leader()!;
    const follower = fleet.serving().find((r) => r !== leader)!;
    for (const r of [leader, follower]) {
      const listened = r.proc.stdout.match(/listening on/g)?.length;
      const t = Date.now();
      expect(await r.proc.stop("SIGTERM")).toBe(0);
      expect(Date.now() - t).toBeLessThan(5_000);
      // not started again on its way out
      expect(r.proc.stdout.match(/listening on/g)?.length).toBe(listened);
    }
    expect(await fleet.waitLeader(10_000)).not.toBe(leader);
  }, 60_000);
});
