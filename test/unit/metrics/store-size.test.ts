import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../common/index.js";
import { ComplianceTally } from "../../../controller/compliance/index.js";
import { ControllerMetrics, storeSizes } from "../../../controller/metrics/index.js";
import { parseExposition, sampleValue, samplesOf } from "../../harness/exposition.js";
import { ENGINES, openTestStore, type TestStore } from "../../harness/postgres.js";

// virtfleet_store_size_bytes on each engine: SQLite's files, PostgreSQL's database size.

describe.each(ENGINES)("the store's size on %s", (engine) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(engine);
  });
  afterAll(() => t?.close());

  it("is the database's size, and grows as rows are written", async () => {
    const before = (await storeSizes({ database: t.db })).database ?? 0;
    expect(before).toBeGreaterThan(0);
    await t.db.transaction(async (tx) => {
      for (let i = 0; i < 2_000; i++)
        await tx.run(
          `INSERT INTO web_sessions (secret_hash, "user", role, created_at, last_seen, expires_at) VALUES (?, ?, 'viewer', 1, 1, 2)`,
          [`size-${i}`, randomBytes(1_000).toString("hex")], // incompressible: 2 kB stored
        );
    });
    const after = (await storeSizes({ database: t.db })).database ?? 0;
    expect(after).toBeGreaterThan(before + 1_000_000);
  });

  it("is what the metrics report as file=database", async () => {
    const metrics = new ControllerMetrics(
      {
        sessions: () => [],
        hostCount: async () => 0,
        hostNames: async () => [],
        compliance: new ComplianceTally({ host: async () => undefined, names: async () => [] }),
        rollouts: () => [],
        storeDatabase: t.db,
      },
      createLogger("metrics-store-size", "silent"),
      { perHost: false },
    );
    const e = parseExposition((await metrics.scrape()).body);
    const reported = sampleValue(e, "virtfleet_store_size_bytes", { file: "database" });
    expect(reported).toBe((await storeSizes({ database: t.db })).database);
    expect(samplesOf(e, "virtfleet_store_size_bytes")).toHaveLength(1);
  });
});

describe("the store's size of a SQLite file", () => {
  const dir = mkdtempSync(join(tmpdir(), "vf-store-size-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("measures the database, -wal and -shm files (absent ones are 0)", async () => {
    const file = join(dir, "c.db");
    writeFileSync(file, Buffer.alloc(4096));
    writeFileSync(`${file}-wal`, Buffer.alloc(100));
    expect(await storeSizes({ file })).toEqual({ database: 4096, wal: 100, shm: 0 });
  });
});
