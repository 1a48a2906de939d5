import { randomBytes, X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { fingerprintOf } from "../../common/pki/index.js";
import { applyPgMigrations, PgDatabase } from "../../common/postgres/index.js";
import { CONTROLLER_DB_FILE, CONTROLLER_MIGRATIONS } from "../../controller/database/index.js";
import { CertificateRegistry } from "../../controller/pki/index.js";
import type { AgentIdentity } from "../loadgen/identities.js";

/**
 * The store a benchmark's controller runs on: SQLite in its data folder (the default), or a
 * fresh PostgreSQL database created on the cluster `--store URL` names (URL: a role allowed to
 * CREATE DATABASE, e.g. postgres://root@localhost/postgres?host=/var/run/postgresql) and dropped by
 * `drop()`. Counts read the store while the controller runs or after it stopped.
 */
export interface BenchStore {
  readonly engine: "sqlite" | "postgres";
  /** The controller's options for this store (--store, --store-key-file). */
  readonly controllerArgs: readonly string[];
  /** Records enrolled agents' certificates where the controller looks them up (after recordIdentities). */
  recordCertificates(identities: readonly AgentIdentity[]): Promise<void>;
  /** One `SELECT COUNT(*) AS n …` on the store. */
  count(sql: string): Promise<number>;
  /** Drops the PostgreSQL database (nothing on SQLite: the data folder goes with the run). */
  drop(): Promise<void>;
}

/** The store for a run in `dir` (data folder `dataDir`); `cluster`: --store's URL, or undefined for SQLite. */
export async function openBenchStore(cluster: string | undefined, dir: string, dataDir: string): Promise<BenchStore> {
  if (cluster === undefined) return sqliteStore(dataDir);
  const name = `vft_bench_${process.pid}_${randomBytes(3).toString("hex")}`;
  // parsed before anything is created (postgres://USER@HOST/DB?host=/socket: a host is required)
  const u = new URL(cluster);
  u.pathname = `/${name}`;
  const url = u.href;
  const keyFile = join(dir, "store.key");
  writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
  await adminQuery(cluster, `CREATE DATABASE ${name}`);
  return {
    engine: "postgres",
    controllerArgs: ["--store", url, "--store-key-file", keyFile],
    async recordCertificates(identities) {
      const db = await PgDatabase.connect({ url, max: 1 });
      try {
        await applyPgMigrations(db, CONTROLLER_MIGRATIONS);
        const registry = await CertificateRegistry.open(db);
        const now = Date.now();
        for (const id of identities) {
          const cert = new X509Certificate(id.certPem);
          await registry.record({
            serial: cert.serialNumber.toLowerCase(),
            kind: "agent",
            name: id.host,
            role: "",
            fingerprint: fingerprintOf(new Uint8Array(cert.raw)),
            notBefore: Date.parse(cert.validFrom),
            notAfter: Date.parse(cert.validTo),
            issuedAt: now,
          });
        }
      } finally {
        await db.close();
      }
    },
    async count(sql) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
      } finally {
        await client.end();
      }
    },
    drop: () => adminQuery(cluster, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

function sqliteStore(dataDir: string): BenchStore {
  return {
    engine: "sqlite",
    controllerArgs: [],
    recordCertificates: async () => undefined,
    async count(sql) {
      // read-only; WAL lets a reader in while the controller runs
      const db = new Database(join(dataDir, CONTROLLER_DB_FILE), { readonly: true });
      try {
        return (db.prepare(sql).get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    drop: async () => undefined,
  };
}

async function adminQuery(cluster: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
