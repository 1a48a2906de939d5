import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore } from "../../harness/postgres.js";

/**
 * The controller's schema steps say the same thing on both engines: after every step, the
 * same tables with the same columns (name, kind of value, NOT NULL, default) and the same
 * indexes. PostgreSQL's `rollouts.rowid` stands for SQLite's implicit rowid.
 */
type Kind = "integer" | "text" | "real" | "blob";
interface Column {
  table: string;
  column: string;
  kind: Kind;
  notNull: boolean;
  hasDefault: boolean;
}

const kindOfSqlite = (t: string): Kind =>
  /INT/i.test(t) ? "integer" : /REAL|DOUB|FLOA/i.test(t) ? "real" : /BLOB/i.test(t) ? "blob" : "text";
const kindOfPg = (t: string): Kind =>
  /int/i.test(t) ? "integer" : /double|real|numeric/i.test(t) ? "real" : /bytea/i.test(t) ? "blob" : "text";

let sqlite: TestStore;
let postgres: TestStore;
beforeAll(async () => {
  sqlite = await openTestStore("sqlite");
  postgres = await openTestStore("postgres");
});
afterAll(async () => {
  await sqlite?.close();
  await postgres?.close();
});

async function sqliteColumns(): Promise<Column[]> {
  const tables = await sqlite.db.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  const out: Column[] = [];
  for (const { name } of tables) {
    const cols = await sqlite.db.all<{ name: string; type: string; notnull: number; dflt_value: unknown; pk: number }>(
      `SELECT * FROM pragma_table_info('${name}')`,
    );
    for (const c of cols)
      out.push({
        table: name,
        column: c.name,
        kind: kindOfSqlite(c.type),
        // an INTEGER PRIMARY KEY is the rowid: never null, generated when absent
        notNull: c.notnull === 1 || c.pk > 0,
        hasDefault:
          c.dflt_value !== null ||
          (c.pk === 1 && /^INTEGER$/i.test(c.type) && cols.filter((x) => x.pk > 0).length === 1),
      });
  }
  return out.sort(byName);
}

async function pgColumns(): Promise<Column[]> {
  const rows = await postgres.db.all<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
    is_identity: string;
  }>(
    `SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity
       FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'virtfleet_schema'`,
  );
  return rows
    .filter((r) => !(r.table_name === "rollouts" && r.column_name === "rowid"))
    .map((r) => ({
      table: r.table_name,
      column: r.column_name,
      kind: kindOfPg(r.data_type),
      notNull: r.is_nullable === "NO",
      hasDefault: r.column_default !== null || r.is_identity === "YES",
    }))
    .sort(byName);
}

function byName(a: Column, b: Column): number {
  return a.table.localeCompare(b.table) || a.column.localeCompare(b.column);
}

describe("the controller's schema on SQLite and PostgreSQL", () => {
  it("has the same tables and columns (kind, NOT NULL, default)", async () => {
    const [s, p] = [await sqliteColumns(), await pgColumns()];
    expect(p.length).toBeGreaterThan(50);
    expect(p).toEqual(s);
  });

  it("has the same indexes (unique ones included), named alike", async () => {
    const s = (
      await sqlite.db.all<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
    ).map((r) => r.name);
    const p = (
      await postgres.db.all<{ indexname: string }>(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key' ORDER BY indexname",
      )
    ).map((r) => r.indexname);
    expect(p).toEqual(s);
  });

  it("keeps the audit log append-only on both", async () => {
    for (const store of [sqlite, postgres]) {
      await store.db.run(
        "INSERT INTO audit_log (seq, at, actor, action, target, detail_json, prev_hash, hash) VALUES (1, 't', 'a', 'x', 'y', '{}', '', 'h')",
      );
      await expect(store.db.run("UPDATE audit_log SET actor = 'b'")).rejects.toThrow(/append-only: UPDATE refused/);
      await expect(store.db.run("DELETE FROM audit_log")).rejects.toThrow(/append-only: DELETE refused/);
    }
  });
});
