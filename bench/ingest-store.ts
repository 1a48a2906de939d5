/**
 * Benchmark: the ingest transaction alone (EventStore.store, no gRPC, no TLS, no load
 * generator), on SQLite or PostgreSQL: --batches batches of drift events, each from --hosts
 * hosts with --per-host new events apiece, written one after the other as the Ingestor writes
 * them (each a durable commit). Prints events/s and the median ms per batch, with --json one
 * JSON object. What bench/fleet.ts measures end to end includes this, plus the controller's
 * and the load generator's CPU; this isolates the store's part (docs/postgres.md, "Ingest on
 * PostgreSQL").
 *
 * Run: npm run build && node dist/bench/ingest-store.js [--hosts 500] [--per-host 2]
 *      [--batches 40] [--store postgres://root@localhost/postgres?host=/var/run/postgresql] [--json]
 * Without --store: a SQLite file in a temporary folder; with it, a fresh database on that
 * cluster (a role allowed to CREATE DATABASE), dropped afterwards.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { AsyncDatabase, openDatabase, type Queryable } from "../common/index.js";
import { applyPgMigrations, PgDatabase } from "../common/postgres/index.js";
import { validateAgentEvent, type AgentEvent } from "../controller/agent-messages/index.js";
import { CONTROLLER_MIGRATIONS } from "../controller/database/index.js";
import { EventStore, type HostEvents } from "../controller/ingest/index.js";
import { intArg, stringArg } from "./lib/cli-args.js";
import { median } from "./lib/stats.js";

const HOSTS = intArg("hosts", 500);
const PER_HOST = intArg("per-host", 2);
const BATCHES = intArg("batches", 40);
const CLUSTER = stringArg("store");
const JSON_OUT = process.argv.includes("--json");

const ADD_HOST = `INSERT INTO hosts (name, first_seen, last_seen, connected, connected_since, agent_version, facts_json, facts_fingerprint, session_id, peer)
   VALUES (?, 1, 1, 1, 1, '1', '{}', 'f', ?, 'p')`;

/** A drift event as the load generator's agents send them (one changed field). */
function drift(host: string, eventSeq: number): AgentEvent {
  return validateAgentEvent({
    seq: eventSeq,
    ack: 0,
    body: "drift",
    drift: {
      eventSeq,
      id: `${host}-${eventSeq}`,
      policy: "bench",
      kind: "network",
      name: "bench-net",
      fields: [{ field: "state", desiredJson: '"active"', actualJson: '"inactive"' }],
      detectedAtMs: Date.now(),
      source: "event",
      remediation: "reported",
      resolvedAtMs: 0,
      classification: "corrective",
      detail: "",
    },
  } as Parameters<typeof validateAgentEvent>[0]);
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

/** A migrated empty store and how to get rid of it. */
async function openStore(): Promise<{ db: Queryable; engine: string; close(): Promise<void> }> {
  if (CLUSTER === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "vft-bench-ingest-"));
    const db = AsyncDatabase.of(openDatabase(join(dir, "controller.db"), CONTROLLER_MIGRATIONS));
    return {
      db,
      engine: "sqlite",
      close: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `vft_bench_ingest_${process.pid}_${randomBytes(3).toString("hex")}`;
  const u = new URL(CLUSTER); // before anything is created: it must parse
  u.pathname = `/${name}`;
  await adminQuery(CLUSTER, `CREATE DATABASE ${name}`);
  let db: PgDatabase | undefined;
  try {
    db = await PgDatabase.connect({ url: u.href, max: 4 });
    await applyPgMigrations(db, CONTROLLER_MIGRATIONS);
  } catch (err) {
    await db?.close();
    await adminQuery(CLUSTER, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    throw err;
  }
  const pgDb = db;
  return {
    db: pgDb,
    engine: "postgres",
    close: async () => {
      await pgDb.close();
      await adminQuery(CLUSTER, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function main(): Promise<void> {
  const store = await openStore();
  try {
    const hosts = Array.from({ length: HOSTS }, (_, i) => `lg-${String(i).padStart(5, "0")}`);
    await store.db.transaction(async (tx) => {
      for (const h of hosts) await tx.run(ADD_HOST, [h, `s-${h}`]);
    });
    const events = new EventStore(store.db);
    const seq = new Map(hosts.map((h) => [h, 0]));
    const batchMs: number[] = [];
    let stored = 0;
    const t0 = performance.now();
    for (let b = 0; b < BATCHES; b++) {
      const batch: HostEvents[] = hosts.map((host) => ({
        host,
        events: Array.from({ length: PER_HOST }, () => {
          const s = seq.get(host)! + 1;
          seq.set(host, s);
          return drift(host, s);
        }),
      }));
      const t = performance.now();
      const changes = await events.store(batch, Date.now());
      batchMs.push(performance.now() - t);
      stored += changes.drift.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    const expected = HOSTS * PER_HOST * BATCHES;
    if (stored !== expected) throw new Error(`stored ${stored} drift events, expected ${expected}`);
    const result = {
      engine: store.engine,
      hosts: HOSTS,
      perHost: PER_HOST,
      batches: BATCHES,
      events: stored,
      eventsPerSec: Math.round(stored / seconds),
      batchMedianMs: Math.round(median(batchMs) * 10) / 10,
    };
    if (JSON_OUT) process.stdout.write(`${JSON.stringify(result)}\n`);
    else
      console.log(
        `ingest-store (${result.engine}): ${result.events} drift events in batches of ${HOSTS} hosts × ${PER_HOST}: ${result.eventsPerSec}/s, ${result.batchMedianMs} ms per batch (median)`,
      );
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
