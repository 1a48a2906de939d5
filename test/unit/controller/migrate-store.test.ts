import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { applyMigrations, openDatabase } from "../../../common/index.js";
import { PgDatabase } from "../../../common/postgres/index.js";
import {
  CONTROLLER_DB_FILE,
  CONTROLLER_MIGRATIONS,
  DataFolderInUseError,
  DataFolderLock,
  migrateStore,
  MigrateStoreError,
} from "../../../controller/database/index.js";
import { createTestDatabase, type TestDatabase } from "../../harness/postgres.js";

const root = mkdtempSync(join(tmpdir(), "vft-migrate-store-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dbs: TestDatabase[] = [];
afterEach(async () => {
  for (const d of dbs.splice(0)) await d.drop();
});

/** A SQLite controller store with rows in tables of every kind (identity ids, composite keys, rowid order). */
function sqliteStore(): string {
  const dir = mkdtempSync(join(root, `s${n++}-`));
  const file = join(dir, CONTROLLER_DB_FILE);
  const db = openDatabase(file, CONTROLLER_MIGRATIONS);
  for (let i = 0; i < 1_200; i++)
    db.prepare("INSERT INTO hosts (name, first_seen, last_seen, facts_json) VALUES (?, ?, ?, ?)").run(
      `kvm${String(i).padStart(4, "0")}`,
      1_765_000_000_000 + i,
      1_765_000_000_500 + i,
      JSON.stringify({ cpu: { cores: i % 64 } }),
    );
  for (let i = 0; i < 30; i++)
    db.prepare(
      "INSERT INTO fact_history (id, host, changed_at, facts_fingerprint, changed_sections, facts_json) VALUES (?, 'kvm0001', ?, 'f', '[]', '{}')",
    ).run(100 + i * 3, i);
  db.prepare(
    "INSERT INTO reports (host, event_seq, generation, revision, trigger_kind, started_at, duration_ms, dry_run, summary_json, received_at) VALUES ('kvm0002', 7, 1, 'r', 'bundle', 1, 2, 0, '{}', 3)",
  ).run();
  // rollouts: created in an order their ids do not sort in
  for (const id of ["z-first", "a-second", "m-third"])
    db.prepare(
      "INSERT INTO rollouts (id, policy, from_revision, to_revision, state, active, created_at, updated_at, finished_at, state_json) VALUES (?, 'web', NULL, 'r2', 'done', 0, 5, 5, 6, '{}')",
    ).run(id);
  db.prepare(
    "INSERT INTO audit_log (seq, at, actor, action, target, detail_json, prev_hash, hash) VALUES (1, '2026-12-07T00:00:00Z', 'admin', 'x', 'y', '{}', '', 'h1')",
  ).run();
  db.close();
  return file;
}

async function pgTarget(): Promise<TestDatabase> {
  const d = await createTestDatabase();
  dbs.push(d);
  return d;
}

describe("controller migrate-store (SQLite → PostgreSQL)", () => {
  it("copies every row of every table, verified by counts; identities continue after the copied ids; rowid order kept", async () => {
    const file = sqliteStore();
    const target = await pgTarget();
    const seen: string[] = [];
    const r = await migrateStore({ engine: "sqlite", path: file }, { engine: "postgres", url: target.url }, (t) =>
      seen.push(t),
    );
    expect(r.schemaVersion).toBe(CONTROLLER_MIGRATIONS.length);
    expect(r.tables[0]).toEqual({ table: "hosts", rows: 1_200 });
    expect(Object.fromEntries(r.tables.map((t) => [t.table, t.rows]))).toMatchObject({
      fact_history: 30,
      reports: 1,
      rollouts: 3,
      audit_log: 1,
      policy_revisions: 0,
    });
    expect(seen).toEqual(r.tables.map((t) => t.table));
    const pg = await PgDatabase.connect({ url: target.url });
    try {
      const h = await pg.get<{ last_seen: number; facts_json: string }>(
        "SELECT last_seen, facts_json FROM hosts WHERE name = 'kvm0042'",
      );
      expect(h).toEqual({ last_seen: 1_765_000_000_542, facts_json: JSON.stringify({ cpu: { cores: 42 } }) });
      const next = await pg.get<{ id: number }>(
        "INSERT INTO fact_history (host, changed_at, facts_fingerprint, changed_sections, facts_json) VALUES ('kvm0001', 1, 'f', '[]', '{}') RETURNING id",
      );
      expect(next!.id).toBe(100 + 29 * 3 + 1);
      const order = await pg.all<{ id: string }>("SELECT id FROM rollouts ORDER BY rowid");
      expect(order.map((o) => o.id)).toEqual(["z-first", "a-second", "m-third"]);
    } finally {
      await pg.close();
    }
    // the source was only read
    const src = new Database(file, { readonly: true });
    expect((src.prepare("SELECT COUNT(*) AS n FROM hosts").get() as { n: number }).n).toBe(1_200);
    src.close();
  });

  it("refuses a target that holds rows, writing nothing", async () => {
    const file = sqliteStore();
    const target = await pgTarget();
    await migrateStore({ engine: "sqlite", path: file }, { engine: "postgres", url: target.url });
    const again = await migrateStore({ engine: "sqlite", path: file }, { engine: "postgres", url: target.url }).catch(
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(MigrateStoreError);
    expect((again as Error).message).toMatch(/already holds rows \(.*\): migrate into an empty database/);
    const pg = await PgDatabase.connect({ url: target.url });
    expect((await pg.get<{ n: number }>("SELECT COUNT(*) AS n FROM hosts"))!.n).toBe(1_200);
    await pg.close();
  });

  it("refuses a source a controller holds, and one at an older schema version", async () => {
    const file = sqliteStore();
    const target = await pgTarget();
    const lock = DataFolderLock.acquire(join(file, ".."), "the controller");
    try {
      await expect(
        migrateStore({ engine: "sqlite", path: file }, { engine: "postgres", url: target.url }),
      ).rejects.toBeInstanceOf(DataFolderInUseError);
    } finally {
      lock.release();
    }
    const oldDir = mkdtempSync(join(root, "old-"));
    const old = new Database(join(oldDir, CONTROLLER_DB_FILE));
    applyMigrations(old, CONTROLLER_MIGRATIONS.slice(0, 5));
    old.close();
    await expect(
      migrateStore(
        { engine: "sqlite", path: join(oldDir, CONTROLLER_DB_FILE) },
        { engine: "postgres", url: target.url },
      ),
    ).rejects.toThrow(/schema version 5, this virtfleet at \d+: start this version's controller on it once/);
  });
});
