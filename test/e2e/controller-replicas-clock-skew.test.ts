import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgDatabase } from "../../common/postgres/index.js";
import { waitForHost } from "../harness/fleet.js";
import { waitFor } from "../harness/processes.js";
import { ReplicaFleet } from "../harness/replicas.js";
import { markerDomain, policyDoc, rolloutBlock } from "../harness/rollout.js";
import { virsh } from "../harness/virsh.js";

// Two controller replicas on a fresh PostgreSQL database; r1's clock is 10 minutes behind
// (libfaketime: its Date.now, not its monotonic clock) and it leads; r2 is right and stands
// by. Leases and stored times must not depend on a replica's clock (issue 25).
const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
const SKEW_MS = -10 * 60_000;
const FAKE_ENV = { LD_PRELOAD: LIBFAKETIME, FAKETIME: "-10m", DONT_FAKE_MONOTONIC: "1" };

/** How far Date.now moves in a Node process under libfaketime (0 when it does not work here). */
function measuredSkew(): number {
  if (!existsSync(LIBFAKETIME)) return 0;
  const before = Date.now();
  const seen = Number(
    execFileSync(process.execPath, ["-e", "process.stdout.write(String(Date.now()))"], {
      env: { ...process.env, ...FAKE_ENV },
    }).toString(),
  );
  return Math.round((seen - (before + Date.now()) / 2) / 1000) * 1000;
}
const SKEW_WORKS = measuredSkew() === SKEW_MS;

const fleet = new ReplicaFleet();
const POLICY = "skew";
const FILE = "skew.yaml";
const doc = (mib: number, soak: string) =>
  policyDoc(POLICY, {
    rollout: rolloutBlock({ canary: 1, batchSize: 1, soak }),
    resources: { domains: [markerDomain("cfg", mib)] },
  });
let db: PgDatabase;
const dbNow = async (): Promise<number> =>
  (await db.get<{ t: number }>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS t"))!.t;
const ms = (iso: string | undefined): number => Date.parse(iso ?? "");

describe.skipIf(!SKEW_WORKS)(`a replica whose clock is 10 minutes behind (libfaketime ${LIBFAKETIME})`, () => {
  let host = "";
  beforeAll(async () => {
    await fleet.start({ replicas: 2, hosts: 1, env: { r1: FAKE_ENV }, firstLeads: true });
    host = fleet.host(1);
    db = await PgDatabase.connect({ url: fleet.database.url, max: 2 });
    await waitForHost(fleet.addressList, host, true, 30_000);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await fleet.stop();
  }, 60_000);

  const [r1, r2] = [() => fleet.replicas[0]!, () => fleet.replicas[1]!];
  const logTime = (lines: { msg: string; time?: unknown }[], msg: string): number =>
    Number(lines.find((l) => l.msg.startsWith(msg))?.time);

  it("the skewed replica's own clock is 10 minutes behind (its log times), and it leads; the other follows", () => {
    expect(fleet.leader()).toBe(r1());
    const led = logTime(r1().proc.logs(), "leading:");
    const stoodBy = logTime(r2().proc.logs(), "following:");
    // r2 started after r1 led: its log line is later in real time, yet 10 minutes "ahead"
    expect(stoodBy - led).toBeGreaterThan(-SKEW_MS - 5_000);
    expect(stoodBy - led).toBeLessThan(-SKEW_MS + 30_000);
  });

  it("stores the host's times on the database's clock, not the skewed leader's", async () => {
    const row = (await db.get<{ first_seen: number; last_seen: number; connected_since: number }>(
      "SELECT first_seen, last_seen, connected_since FROM hosts WHERE name = ?",
      [host],
    ))!;
    const now = await dbNow();
    for (const [k, v] of Object.entries(row)) {
      expect(v, k).toBeLessThanOrEqual(now + 2_000);
      expect(v, k).toBeGreaterThan(now - 60_000);
    }
  });

  it("a rollout run by the skewed leader soaks for its soak (not at once, not 10 minutes late); its times are the database's", async () => {
    fleet.write(FILE, doc(72, "4s"));
    const rev = await fleet.waitNewRevision(POLICY, undefined);
    const soaking = await fleet.waitStatus(
      POLICY,
      "the canary soaking",
      (s) => s.revision === rev && s.stages.some((x) => x.state === "soaking"),
      30_000,
    );
    const seenAt = Date.now();
    const until = ms(soaking.stages.find((x) => x.state === "soaking")!.soakUntil);
    // the deadline is on the database's clock: ahead of now by at most the soak (the status may
    // still say soaking for a tick after it), not 10 minutes off
    expect(until - seenAt).toBeGreaterThan(-2_000);
    expect(until - seenAt).toBeLessThanOrEqual(4_500);
    expect(Math.abs(ms(soaking.createdAt) - seenAt)).toBeLessThan(30_000);
    const done = await fleet.waitStatus(
      POLICY,
      "the rollout done",
      (s) => s.revision === rev && s.state === "succeeded",
      20_000,
    );
    const endedAt = Date.now();
    expect(endedAt).toBeGreaterThanOrEqual(until - 500);
    expect(endedAt - until).toBeLessThan(5_000);
    expect(Math.abs(ms(done.finishedAt) - endedAt)).toBeLessThan(5_000);
  }, 60_000);

  it("stamps drift received_at with the database's clock", async () => {
    await virsh("undefine", `${host}-cfg`);
    const row = await waitFor(
      "the drift of the undefined domain stored",
      () =>
        db.get<{ received_at: number }>(
          "SELECT received_at FROM drift_events WHERE host = ? ORDER BY received_at DESC LIMIT 1",
          [host],
        ),
      20_000,
      200,
    );
    const now = await dbNow();
    expect(row.received_at).toBeLessThanOrEqual(now + 2_000);
    expect(row.received_at).toBeGreaterThan(now - 20_000);
  }, 30_000);

  it("a replica heartbeat written under the skewed clock is on the database's clock: not stale to the others", async () => {
    // controller_replicas' heartbeat (controller/replicas/replica-registry.ts) in a process of its own under libfaketime
    const script = `
      import { PgDatabase } from ${JSON.stringify(join(process.cwd(), "dist/common/postgres/index.js"))};
      import { ReplicaHeartbeat } from ${JSON.stringify(join(process.cwd(), "dist/controller/replicas/index.js"))};
      const db = await PgDatabase.connect({ url: process.env.VFT_DB, max: 1 });
      const h = await ReplicaHeartbeat.start(db, { replica: "skewed-beat", address: "127.0.0.1:1", version: "test" });
      await h.beat();
      h.stop();
      await db.close();
      process.stdout.write(String(Date.now()));`;
    const localNow = Number(
      execFileSync(process.execPath, ["--input-type=module", "-e", script], {
        env: { ...process.env, ...FAKE_ENV, VFT_DB: fleet.database.url },
      }).toString(),
    );
    expect(localNow - Date.now()).toBeLessThan(SKEW_MS + 30_000);
    const { listReplicas } = await import("../../controller/replicas/index.js");
    const beat = (await listReplicas(db)).find((r) => r.name === "skewed-beat")!;
    expect(beat.seenAgoMs).toBeGreaterThanOrEqual(0);
    expect(beat.seenAgoMs).toBeLessThan(10_000);
    expect(Math.abs(beat.lastSeen - Date.now())).toBeLessThan(10_000);
  }, 30_000);

  it("kill -9 of the skewed leader during a soak: the other replica ends the soak when it was stored to end", async () => {
    const prev = await fleet.policyRevision(POLICY);
    fleet.write(FILE, doc(80, "8s"));
    const rev = await fleet.waitNewRevision(POLICY, prev);
    const soaking = await fleet.waitStatus(
      POLICY,
      "the canary soaking",
      (s) => s.revision === rev && s.stages.some((x) => x.state === "soaking"),
      30_000,
    );
    const until = ms(soaking.stages.find((x) => x.state === "soaking")!.soakUntil);
    await r1().proc.stop("SIGKILL");
    expect(await fleet.waitLeader(10_000, r1())).toBe(r2());
    const stillSoaking = await fleet.waitStatus(POLICY, "the new leader answering", (s) => s.revision === rev, 10_000);
    if (Date.now() < until - 1_000) expect(stillSoaking.state).toBe("running");
    await fleet.waitStatus(POLICY, "the rollout done", (s) => s.revision === rev && s.state === "succeeded", 30_000);
    const endedAt = Date.now();
    expect(endedAt).toBeGreaterThanOrEqual(until - 500);
    expect(endedAt - until).toBeLessThan(6_000);
    // no flapping: r1 led until it was killed, r2 only after
    expect(
      r1()
        .proc.logs()
        .filter((l) => l.msg.startsWith("lost the leadership")),
    ).toEqual([]);
    expect(
      r2()
        .proc.logs()
        .filter((l) => l.msg.startsWith("leading:")),
    ).toHaveLength(1);
  }, 60_000);
});
