import * as grpc from "@grpc/grpc-js";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fleetProto, silentLogger } from "../../common/index.js";
import { PgDatabase } from "../../common/postgres/index.js";
import { policyPushHandlers } from "../../controller/admin/index.js";
import { PolicyRepository, PolicyStore } from "../../controller/policies/index.js";
import { PgLeaderElection, PgSignals, storedLeaderAddress } from "../../controller/replicas/index.js";
import { openTestStore, type TestStore } from "../harness/postgres.js";
import { runCli, stopAll, tempDir } from "../harness/processes.js";
import { auditNetworkPolicyYaml } from "../harness/specs.js";

/**
 * The CLI's push reaching a follower replica: two replicas' PushPolicies services on loopback
 * (each with its own pool, election and signals on one PostgreSQL database, as two controller
 * processes would have), their addresses in `controller_replicas`. The built CLI pushes to the
 * follower, is told the leader's address and pushes there once; the follower follows.
 */
interface Replica {
  name: string;
  db: PgDatabase;
  election: PgLeaderElection;
  signals: PgSignals;
  repo: PolicyRepository;
  server: grpc.Server;
  address: string;
}

const work = tempDir("vft-push-replicas-");
const pushDir = join(work.path, "to-push");
const policyName = `vft-pushr-${process.pid}`;
let store: TestStore;
const replicas: Replica[] = [];

async function replica(name: string): Promise<Replica> {
  const db = await PgDatabase.connect({ url: store.postgres!.url, max: 3 });
  const election = new PgLeaderElection(db, { replica: name, retryMs: 100 });
  await election.start();
  const signals = await PgSignals.start(db, { replica: name });
  const repo = new PolicyRepository({
    dir: null,
    store: new PolicyStore(db),
    log: silentLogger(),
    leadership: election,
    signals,
  });
  await repo.start();
  const server = new grpc.Server();
  server.addService(
    fleetProto().AdminService.service,
    policyPushHandlers({
      policies: repo,
      leaderAddress: () => storedLeaderAddress(db),
      log: silentLogger(),
    }) as grpc.UntypedServiceImplementation,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const address = `127.0.0.1:${port}`;
  await db.run(
    "INSERT INTO controller_replicas (name, address, version, started_at, last_seen) VALUES (?, ?, 'test', 0, 0)",
    [name, address],
  );
  const r = { name, db, election, signals, repo, server, address };
  replicas.push(r);
  return r;
}

beforeAll(async () => {
  store = await openTestStore("postgres");
  mkdirSync(pushDir, { recursive: true });
});
afterAll(async () => {
  await stopAll();
  for (const r of replicas.splice(0).reverse()) {
    r.server.forceShutdown();
    await r.repo.close();
    await r.election.stop();
    await r.signals.stop();
    await r.db.close();
  }
  await store.close();
  work.cleanup();
});

describe("policy push to a follower replica", () => {
  it("the CLI is told the leader's address, pushes there once, and every replica has the revision", async () => {
    const leader = await replica("a");
    const follower = await replica("b");
    expect([leader.repo.isLeader, follower.repo.isLeader]).toEqual([true, false]);
    writeFileSync(join(pushDir, "web.yaml"), auditNetworkPolicyYaml(policyName, "vft-pushr-net", "vftprbr1"));
    const r = await runCli(["policy", "push", pushDir, "--controller", follower.address, "--insecure", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { accepted: boolean; created: { policy: string; generation: number }[] };
    expect(report.accepted).toBe(true);
    expect(report.created.map((c) => [c.policy, c.generation])).toEqual([[policyName, 1]]);
    expect(leader.repo.current().policies.map((p) => p.name)).toEqual([policyName]);
    const deadline = Date.now() + 1_000;
    while (follower.repo.current().policies.length === 0 && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 20));
    expect(follower.repo.current().policies.map((p) => p.name)).toEqual([policyName]);
  });

  it("a leader address that refuses too (stale): the CLI retries once only and exits 4 with the refusal", async () => {
    const [, follower] = replicas;
    // point the recorded leader at the follower itself: the retry lands on a follower again
    await store.db.run("UPDATE controller_replicas SET address = ? WHERE name = 'a'", [follower!.address]);
    const r = await runCli(["policy", "push", pushDir, "--controller", follower!.address, "--insecure"]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`not the leader; push to the leader at ${follower!.address}`);
  });
});
