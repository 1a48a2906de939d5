import Database from "better-sqlite3";
import type { DriftEvent } from "../../../generated/proto/fleet/v1/DriftEvent.js";
import type { Report } from "../../../generated/proto/fleet/v1/Report.js";
import type { AgentMessage__Output } from "../../../generated/proto/fleet/v1/AgentMessage.js";
import { applyMigrations, type SqliteDatabase } from "../../../common/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";
import { HostStore } from "../../../controller/hosts/index.js";

/** An in-memory controller store with `hosts` enrolled. */
export function memoryDb(...hosts: string[]): SqliteDatabase {
  const db = new Database(":memory:");
  applyMigrations(db, CONTROLLER_MIGRATIONS);
  const store = new HostStore(db);
  for (const name of hosts) {
    store.recordHello({
      name,
      agentVersion: "1",
      factsJson: "{}",
      factsFingerprint: "f",
      sessionId: `s-${name}`,
      peer: "p",
      now: 1,
    });
  }
  return db;
}

/** Stores a bundle for `host` as controller/bundles does. */
export function setBundle(
  db: SqliteDatabase,
  host: string,
  generation: number,
  revision: string,
  policies: { name: string; revision: string }[],
): void {
  const bundleJson = JSON.stringify({
    revision,
    generation,
    policies: policies.map((p) => ({ ...p, mode: "enforce", resolvedJson: "{}" })),
  });
  db.prepare(
    `INSERT INTO host_bundles (host, revision, generation, bundle_json, sent_at, errors_json, computed_at) VALUES (?, ?, ?, ?, NULL, '[]', 1)
     ON CONFLICT (host) DO UPDATE SET revision = excluded.revision, generation = excluded.generation, bundle_json = excluded.bundle_json`,
  ).run(host, revision, generation, bundleJson);
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
