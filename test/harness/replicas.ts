import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { controllerOrder } from "../../agent/link/index.js";
import { AdminClient } from "../../cli/admin-client.js";
import { PgDatabase } from "../../common/postgres/index.js";
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
 * own data folder and loopback port, plaintext; every one serves, one leads) on one PostgreSQL test database, sharing a
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
    await waitFor("every replica to serve", () => (this.serving().length === o.replicas ? true : undefined), 20_000);
    // host i tries replica i first: the agents spread over every replica
    for (let i = 1; i <= o.hosts; i++) this.startAgent(this.host(i), i - 1);
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

  /**
   * Every replica's address, ordered so that host `name` tries replica `first` first (agents
   * permute their list by a hash of their name: agent/link controllerOrder).
   */
  addressListFor(name: string, first: number): string {
    const n = this.replicas.length;
    const slot = controllerOrder(name, n)[0]!;
    const others = this.replicas.filter((_, i) => i !== first % n);
    const list: string[] = [];
    for (let i = 0; i < n; i++) list.push(i === slot ? this.replicas[first % n]!.address : others.shift()!.address);
    return list.join(",");
  }

  /** Starts agent `name` with every replica's address (`first`: the replica index it tries first). */
  startAgent(name: string, first?: number): Proc {
    const p = startAgent({
      controller: first === undefined ? this.addressList : this.addressListFor(name, first),
      name,
      stateDir: join(this.dir.path, "agents", name),
      maxBackoff: "1s",
    });
    this.agents.set(name, p);
    return p;
  }

  /** Whether replica `r` leads now: running, and its newest leadership log line says it leads. */
  leads(r: Replica): boolean {
    if (!r.proc.running) return false;
    let leading = false;
    for (const l of r.proc.logs()) {
      if (typeof l.msg !== "string") continue;
      if (l.msg.startsWith("leading:")) leading = true;
      else if (l.msg.startsWith("lost the leadership") || l.msg === "controller stopped") leading = false;
    }
    return leading;
  }

  /** The replica leading now (it runs the duties; every running replica serves). */
  leader(): Replica | undefined {
    return this.replicas.find((r) => this.leads(r));
  }

  /** Every running replica that listens (serves agents and admins). */
  serving(): Replica[] {
    return this.replicas.filter((r) => r.proc.running && /listening on/.test(r.proc.stdout));
  }

  /** Waits until one replica (not `except`) leads; returns it. */
  waitLeader(timeoutMs = 20_000, except?: Replica): Promise<Replica> {
    return waitFor(
      "a replica to lead",
      () => this.replicas.find((r) => r !== except && this.leads(r) && /listening on/.test(r.proc.stdout)),
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

  /** Each connected host's stream holder (hosts.replica), read from the store. */
  async holders(): Promise<Map<string, string>> {
    const db = await PgDatabase.connect({ url: this.database.url, max: 1 });
    try {
      const rows = await db.all<{ name: string; replica: string }>(
        "SELECT name, replica FROM hosts WHERE connected = 1 ORDER BY name",
      );
      return new Map(rows.map((r) => [r.name, r.replica]));
    } finally {
      await db.close();
    }
  }

  async stop(): Promise<void> {
    this.admin?.close();
    await stopAll();
    await cleanupPrefix(this.prefix);
    await this.database?.drop();
    this.dir.cleanup();
  }
}
