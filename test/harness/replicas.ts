import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { AdminClient } from "../../cli/admin-client.js";
import { parseHostPortList } from "../../common/index.js";
import type { RolloutStatusJson } from "../../controller/rollout/index.js";
import { startAgent } from "./fleet.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";
import { freePort, spawnCli, stopAll, tempDir, waitFor, type Proc } from "./processes.js";
import { waitNewRevision, waitRolloutStatus } from "./rollout.js";
import { cleanupPrefix, testPrefix } from "./virsh.js";

export interface Replica {
  name: string;
  port: number;
  address: string;
  dataDir: string;
  proc: Proc;
  /** Extra environment of its process (e.g. libfaketime's). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Controller replicas (real `virtfleet controller --store postgres://…` processes, each with its
 * own data folder and loopback port, plaintext) on one PostgreSQL test database, sharing a
 * policies folder, and agents given every replica's address. Cleans up processes, libvirt
 * objects with its prefix, the folder and the database.
 */
export class ReplicaFleet {
  readonly prefix = testPrefix();
  readonly dir = tempDir("vft-replicas-");
  readonly policiesDir = join(this.dir.path, "policies");
  readonly replicas: Replica[] = [];
  readonly agents = new Map<string, Proc>();
  database!: TestDatabase;
  private admin?: AdminClient;

  host(i: number): string {
    return `${this.prefix}h${i}`;
  }

  get hosts(): string[] {
    return [...this.agents.keys()].sort();
  }

  /** Every replica's address, in start order: what agents and the CLI are given. */
  get addressList(): string {
    return this.replicas.map((r) => r.address).join(",");
  }

  /**
   * `postgresAdmin`: the server to create the database on (default: the shared test cluster).
   * `env`: extra environment per replica name (r1, r2, …). `firstLeads`: r1 is started alone
   * and leads before the others start.
   */
  async start(o: {
    replicas: number;
    hosts: number;
    postgresAdmin?: string;
    env?: Record<string, NodeJS.ProcessEnv>;
    firstLeads?: boolean;
  }): Promise<this> {
    mkdirSync(this.policiesDir, { recursive: true });
    this.database = await createTestDatabase("vft", o.postgresAdmin);
    for (let i = 1; i <= o.replicas; i++) {
      const port = await freePort();
      this.replicas.push({
        name: `r${i}`,
        port,
        address: `127.0.0.1:${port}`,
        dataDir: join(this.dir.path, `r${i}`),
        proc: undefined as unknown as Proc,
        env: o.env?.[`r${i}`],
      });
    }
    if (o.firstLeads) {
      this.startReplica(this.replicas[0]!);
      await this.waitLeader();
    }
    for (const r of this.replicas) if (!r.proc) this.startReplica(r);
    await this.waitLeader();
    for (let i = 1; i <= o.hosts; i++) this.startAgent(this.host(i));
    return this;
  }

  /** (Re)starts replica `r`'s process on its data folder and port. */
  startReplica(r: Replica): Proc {
    r.proc = spawnCli(
      [
        "controller",
        "--listen",
        r.address,
        "--data",
        r.dataDir,
        "--insecure",
        "--no-web",
        "--store",
        this.database.url,
        "--replica-name",
        r.name,
        "--policies",
        this.policiesDir,
      ],
      r.env,
    );
    return r.proc;
  }

  startAgent(name: string): Proc {
    const p = startAgent({
      controller: this.addressList,
      name,
      stateDir: join(this.dir.path, "agents", name),
      maxBackoff: "1s",
    });
    this.agents.set(name, p);
    return p;
  }

  /** The replica serving now: running, and its newest output line about listening came after any stop. */
  leader(): Replica | undefined {
    return this.replicas.find((r) => r.proc.running && /listening on/.test(r.proc.stdout));
  }

  /** Waits until one replica serves; returns it. */
  waitLeader(timeoutMs = 20_000, except?: Replica): Promise<Replica> {
    return waitFor(
      "a replica to lead",
      () => {
        const l = this.replicas.find((r) => r !== except && r.proc.running && /listening on/.test(r.proc.stdout));
        return l;
      },
      timeoutMs,
      50,
      async () =>
        this.replicas.map((r) => `${r.name}: running=${r.proc.running} ${r.proc.stderr.slice(-400)}`).join("\n"),
    );
  }

  private client(): AdminClient {
    this.admin ??= new AdminClient(parseHostPortList(this.addressList, "--controller"), true);
    return this.admin;
  }

  write(file: string, doc: Record<string, unknown>): number {
    const t = Date.now();
    writeFileSync(join(this.policiesDir, file), stringify(doc));
    return t;
  }

  async policyRevision(policy: string): Promise<string | undefined> {
    const res = await this.client().listPolicies();
    return res.policies.find((p) => p.name === policy)?.revision;
  }

  waitNewRevision(policy: string, previous: string | undefined, timeoutMs = 20_000): Promise<string> {
    return waitNewRevision((p) => this.policyRevision(p), policy, previous, timeoutMs);
  }

  status(policy: string): Promise<RolloutStatusJson | null> {
    return this.client().rolloutStatus(policy);
  }

  /** Polls the rollout of `policy` until `pred` holds (a status call failing while replicas change over counts as none). */
  waitStatus(
    policy: string,
    what: string,
    pred: (s: RolloutStatusJson) => boolean,
    timeoutMs = 60_000,
  ): Promise<RolloutStatusJson> {
    return waitRolloutStatus((p) => this.status(p).catch(() => null), policy, what, pred, timeoutMs);
  }

  async stop(): Promise<void> {
    this.admin?.close();
    await stopAll();
    await cleanupPrefix(this.prefix);
    await this.database?.drop();
    this.dir.cleanup();
  }
}
