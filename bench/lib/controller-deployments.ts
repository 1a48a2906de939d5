import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ControllerProcess, freePort } from "../loadgen/controller-process.js";
import { type AgentIdentity, installCa, recordIdentities, recordIdentitiesInPostgres } from "../loadgen/identities.js";
import {
  type BenchDatabase,
  createBenchDatabase,
  pgConnections,
  pgTableBytes,
  pgWriteCounters,
} from "./bench-postgres.js";
import { postgresCounts, sqliteCounts, type StoreCounts } from "./store-counts.js";

/** What a deployment is started with: the fleet's size, the benchmark's folder, mTLS material. */
export interface DeploymentOptions {
  /** A fresh folder of the benchmark run; the deployment's data folders go in it. */
  dir: string;
  /** The policies folder every controller of the deployment reads (the leader acts on it). */
  policiesDir: string;
  agents: number;
  /** mTLS: the cached benchmark CA folder and the identities to record as enrolled; else --insecure. */
  mtls?: { cacheDir: string; identities: readonly AgentIdentity[] };
}

/**
 * Controller processes serving one fleet, as a benchmark sees them: the addresses agents and
 * the CLI are given (one, or every replica's), the store to count in, a crash to cause.
 */
export interface Deployment {
  readonly name: "sqlite" | "postgres";
  /** Every controller's address, in order (joined by commas: `--controller` semantics). */
  readonly addresses: string[];
  readonly counts: StoreCounts;
  start(): Promise<void>;
  /** A running controller's data folder (its admin credential for the CLI and admin calls). */
  adminDataDir(): string;
  /**
   * Kills (SIGKILL) the controller holding most agents (`connectedByTarget`, per address) and
   * whatever must follow (a lone controller is started again on its data folder, as a
   * supervisor would); returns which, and when it was killed.
   */
  crashBusiest(connectedByTarget: readonly number[]): Promise<{ index: number; killedAt: number }>;
  /** Controllers serving (listening) now, by address index. */
  serving(): boolean[];
  cpuSeconds(): number;
  rssBytes(): number;
  /** Engine-specific facts worth reporting (PostgreSQL: connections by application, table sizes). */
  facts(): Promise<Record<string, unknown>>;
  /** Cumulative write counters of the store (PostgreSQL: pgWriteCounters), or none. */
  writeCounters(): Promise<Record<string, number> | undefined>;
  stop(): Promise<void>;
}

function commonArgs(o: DeploymentOptions, address: string, dataDir: string): string[] {
  return [
    "--listen",
    address,
    "--data",
    dataDir,
    "--policies",
    o.policiesDir,
    "--no-web",
    ...(o.mtls ? [] : ["--insecure"]),
    "--max-connections",
    String(o.agents + 1_000),
    "--max-connections-per-address",
    String(o.agents + 1_000),
  ];
}

/** A: one controller process on its default SQLite store (DATA/controller.db). */
export class SqliteDeployment implements Deployment {
  readonly name = "sqlite";
  readonly addresses: string[] = [];
  private readonly dataDir: string;
  readonly counts: StoreCounts;
  private controller: ControllerProcess | undefined;
  private cpuBefore = 0;

  constructor(private readonly o: DeploymentOptions) {
    this.dataDir = join(o.dir, "sqlite-data");
    this.counts = sqliteCounts(this.dataDir);
  }

  async start(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    if (this.o.mtls) {
      installCa(this.o.mtls.cacheDir, this.dataDir);
      await recordIdentities(this.o.mtls.identities, this.dataDir);
    }
    const address = `127.0.0.1:${await freePort()}`;
    this.addresses.push(address);
    this.controller = new ControllerProcess(
      commonArgs(this.o, address, this.dataDir),
      join(this.o.dir, "sqlite-controller.log"),
    );
    await this.controller.start();
  }

  adminDataDir(): string {
    return this.dataDir;
  }

  async crashBusiest(): Promise<{ index: number; killedAt: number }> {
    const c = this.controller!;
    this.cpuBefore += c.cpuSeconds();
    const killedAt = Date.now();
    await c.stop("SIGKILL");
    await c.start();
    return { index: 0, killedAt };
  }

  serving(): boolean[] {
    return [this.controller?.serving ?? false];
  }

  cpuSeconds(): number {
    return this.cpuBefore + (this.controller?.cpuSeconds() ?? 0);
  }

  rssBytes(): number {
    return this.controller?.memory().rss ?? 0;
  }

  async facts(): Promise<Record<string, unknown>> {
    return { storeBytes: await this.counts.bytes() };
  }

  async writeCounters(): Promise<undefined> {
    return undefined;
  }

  async stop(): Promise<void> {
    await this.controller?.stop("SIGTERM").catch(() => undefined);
  }
}

/**
 * B: `replicas` controller processes (`--store postgres://…`, each its own data folder, port and
 * `--replica-name rN`, one shared `--store-key-file` with mTLS) on a fresh database
 * `databaseName`, dropped by stop(). On a store where only the leader serves (active/standby)
 * the standbys start without listening; each listens when it comes to lead.
 */
export class PostgresReplicas implements Deployment {
  readonly name = "postgres";
  readonly addresses: string[] = [];
  private readonly replicas: { dataDir: string; proc: ControllerProcess }[] = [];
  private database: BenchDatabase | undefined;
  private countsAt: StoreCounts | undefined;
  private readonly cpuOfKilled: number[] = [];

  constructor(
    private readonly o: DeploymentOptions,
    private readonly replicaCount: number,
    private readonly databaseName: string,
  ) {}

  get counts(): StoreCounts {
    if (!this.countsAt) throw new Error("the PostgreSQL deployment has not started");
    return this.countsAt;
  }

  async start(): Promise<void> {
    this.database = await createBenchDatabase(this.databaseName);
    this.countsAt = postgresCounts(this.database.url);
    if (this.o.mtls) await recordIdentitiesInPostgres(this.o.mtls.identities, this.database.url);
    const keyFile = join(this.o.dir, "store.key");
    writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
    for (let i = 1; i <= this.replicaCount; i++) {
      const dataDir = join(this.o.dir, `r${i}`);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      if (this.o.mtls) installCa(this.o.mtls.cacheDir, dataDir);
      const address = `127.0.0.1:${await freePort()}`;
      this.addresses.push(address);
      const args = [
        ...commonArgs(this.o, address, dataDir),
        "--store",
        this.database.url,
        "--replica-name",
        `r${i}`,
        ...(this.o.mtls ? ["--store-key-file", keyFile] : []),
      ];
      this.replicas.push({ dataDir, proc: new ControllerProcess(args, join(this.o.dir, `r${i}.log`)) });
    }
    // The first alone (it migrates the schema and stores the shared CA), then the others together.
    await this.replicas[0]!.proc.start({ standbyOk: true });
    await Promise.all(this.replicas.slice(1).map((r) => r.proc.start({ standbyOk: true })));
  }

  adminDataDir(): string {
    const r = this.replicas.find((x) => x.proc.running);
    if (!r) throw new Error("no replica runs");
    return r.dataDir;
  }

  async crashBusiest(connectedByTarget: readonly number[]): Promise<{ index: number; killedAt: number }> {
    let index = 0;
    for (let i = 0; i < this.replicas.length; i++)
      if ((connectedByTarget[i] ?? 0) > (connectedByTarget[index] ?? 0)) index = i;
    const proc = this.replicas[index]!.proc;
    this.cpuOfKilled.push(proc.cpuSeconds());
    const killedAt = Date.now();
    await proc.stop("SIGKILL");
    return { index, killedAt };
  }

  serving(): boolean[] {
    return this.replicas.map((r) => r.proc.serving);
  }

  cpuSeconds(): number {
    return (
      this.cpuOfKilled.reduce((a, b) => a + b, 0) +
      this.replicas.reduce((n, r) => n + (r.proc.running ? r.proc.cpuSeconds() : 0), 0)
    );
  }

  rssBytes(): number {
    return this.replicas.reduce((n, r) => n + (r.proc.running ? r.proc.memory().rss : 0), 0);
  }

  async facts(): Promise<Record<string, unknown>> {
    const url = this.database!.url;
    return {
      storeBytes: await this.counts.bytes(),
      pgConnections: await pgConnections(url),
      pgTableBytes: await pgTableBytes(url),
      replicasServing: this.serving().filter(Boolean).length,
    };
  }

  writeCounters(): Promise<Record<string, number>> {
    return pgWriteCounters(this.database!.url);
  }

  async stop(): Promise<void> {
    // A leader may take SIGTERM for a lost leadership and stand by again (seen with
    // active/standby replicas): SIGKILL what still runs after 10 s.
    await Promise.all(this.replicas.map((r) => r.proc.stop("SIGTERM", 10_000).catch(() => undefined)));
    await this.database?.drop();
  }
}
