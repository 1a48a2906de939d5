import Database from "better-sqlite3";
import type { DriftEvent } from "../../../generated/proto/fleet/v1/DriftEvent.js";
import type { Report } from "../../../generated/proto/fleet/v1/Report.js";
import type { AgentMessage__Output } from "../../../generated/proto/fleet/v1/AgentMessage.js";
import { applyMigrations, type Engine, type Queryable, type SqliteDatabase } from "../../../common/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";
import { openTestStore, type TestStore } from "../../harness/postgres.js";

/**
 * A migrated store on `engine` (test/harness/postgres.ts) with `hosts` in `hosts` (their rows
 * as a first Hello leaves them, written through the Queryable so it works on both engines).
 */
export async function openStoreWithHosts(engine: Engine, ...hosts: string[]): Promise<TestStore> {
  const store = await openTestStore(engine);
  try {
    await addHosts(store.db, ...hosts);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Adds `hosts` (connected, empty facts, first seen at 1) through `on`. */
export async function addHosts(on: Queryable, ...hosts: string[]): Promise<void> {
  for (const name of hosts) await on.run(ADD_HOST, [name, `s-${name}`]);
}

const ADD_HOST = `INSERT INTO hosts (name, first_seen, last_seen, connected, connected_since, agent_version, facts_json, facts_fingerprint, session_id, peer)
     VALUES (?, 1, 1, 1, 1, '1', '{}', 'f', ?, 'p')`;

/** Stores a bundle for `host` as controller/bundles does, through `on` (either engine). */
export async function putBundle(
  on: Queryable,
  host: string,
  generation: number,
  revision: string,
  policies: { name: string; revision: string }[],
): Promise<void> {
  await on.run(SET_BUNDLE, [host, revision, generation, bundleJsonOf(generation, revision, policies)]);
}

/** One value of `sql` (e.g. a COUNT) through `on`, for assertions on either engine. */
export async function value<T = number>(on: Queryable, sql: string, params: (string | number)[] = []): Promise<T> {
  const row = await on.get<Record<string, T>>(sql, params);
  return row === undefined ? (undefined as T) : (Object.values(row)[0] as T);
}

const SET_BUNDLE = `INSERT INTO host_bundles (host, revision, generation, bundle_json, sent_at, errors_json, computed_at) VALUES (?, ?, ?, ?, NULL, '[]', 1)
     ON CONFLICT (host) DO UPDATE SET revision = excluded.revision, generation = excluded.generation, bundle_json = excluded.bundle_json`;

function bundleJsonOf(generation: number, revision: string, policies: { name: string; revision: string }[]): string {
  return JSON.stringify({
    revision,
    generation,
    policies: policies.map((p) => ({ ...p, mode: "enforce", resolvedJson: "{}" })),
  });
}

/**
 * An in-memory SQLite controller store with `hosts` enrolled, for tests still written
 * against better-sqlite3 (new tests: openStoreWithHosts, on both engines).
 */
export function memoryDb(...hosts: string[]): SqliteDatabase {
  const db = new Database(":memory:");
  applyMigrations(db, CONTROLLER_MIGRATIONS);
  // Written at once (synchronously), as addHosts does: callers use the connection right away.
  for (const name of hosts) db.prepare(ADD_HOST).run(name, `s-${name}`);
  return db;
}

/** putBundle on a better-sqlite3 connection, synchronously (tests not yet on both engines). */
export function setBundle(
  db: SqliteDatabase,
  host: string,
  generation: number,
  revision: string,
  policies: { name: string; revision: string }[],
): void {
  db.prepare(SET_BUNDLE).run(host, revision, generation, bundleJsonOf(generation, revision, policies));
}

export function reportMsg(over: Partial<Report> = {}): AgentMessage__Output {
  return {
    seq: 1,
    ack: 0,
    body: "report",
    report: {
      eventSeq: 1,
      generation: 1,
      bundleRevision: "b1",
      trigger: "bundle",
      startedAtMs: 1_000,
      durationMs: 10,
      dryRun: false,
      resources: [
        {
          kind: "domain",
          name: "web1",
          policy: "web",
          outcome: "ok",
          changesJson: "[]",
          error: "",
          pendingRestart: false,
        },
      ],
      ...over,
    } as AgentMessage__Output["report"],
  } as AgentMessage__Output;
}

export function driftMsg(over: Partial<DriftEvent> = {}): AgentMessage__Output {
  return {
    seq: 1,
    ack: 0,
    body: "drift",
    drift: {
      eventSeq: 2,
      id: "d-1",
      policy: "web",
      kind: "domain",
      name: "web1",
      fields: [{ field: "state", desiredJson: '"running"', actualJson: '"shutoff"' }],
      detectedAtMs: 2_000,
      source: "event",
      remediation: "reported",
      resolvedAtMs: 0,
      classification: "corrective",
      detail: "",
      ...over,
    } as AgentMessage__Output["drift"],
  } as AgentMessage__Output;
}
