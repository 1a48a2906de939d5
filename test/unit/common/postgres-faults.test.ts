import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Migration } from "../../../common/index.js";
import {
  applyPgMigrations,
  checkPostgresUrl,
  PgDatabase,
  StoreUnavailableError,
} from "../../../common/postgres/index.js";
import { CONTROLLER_MIGRATIONS } from "../../../controller/database/index.js";
import { parseStoreOption } from "../../../controller/database/index.js";
import { createTestDatabase, testPostgresAdminUrl, type TestDatabase } from "../../harness/postgres.js";

/**
 * What an operator gets from a PostgreSQL store that cannot be used: a wrong password, a
 * server that is not there, a read-only one, a schema newer than the build. Each: a clear
 * StoreUnavailableError, never the password, nothing written.
 */
const SECRET = `pw-${randomBytes(6).toString("hex")}`;
const ROLE = `vft_role_${process.pid}_${randomBytes(3).toString("hex")}`;
let db: TestDatabase;
let port: number;
let dir: string;

async function admin<T extends pg.QueryResultRow>(sql: string, url = testPostgresAdminUrl()): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vft-pgfaults-"));
  db = await createTestDatabase();
  await admin(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${SECRET}'`);
  await admin(`ALTER DATABASE ${db.name} OWNER TO ${ROLE}`);
  port = Number((await admin<{ port: string }>("SHOW port"))[0]!.port);
});

afterAll(async () => {
  await db.drop();
  await admin(`DROP ROLE IF EXISTS ${ROLE}`);
  rmSync(dir, { recursive: true, force: true });
});

const tcpUrl = (): string => `postgres://${ROLE}@127.0.0.1:${port}/${db.name}`;
const passwordFile = (content: string): string => {
  const f = join(dir, `pw-${randomBytes(3).toString("hex")}`);
  writeFileSync(f, `${content}\n`, { mode: 0o600 });
  return f;
};

async function rejection(p: Promise<unknown>): Promise<StoreUnavailableError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreUnavailableError);
  return err as StoreUnavailableError;
}

describe("a PostgreSQL store that cannot be used", () => {
  it("connects with the password from a file, and the URL with a password in it is refused without echoing it", async () => {
    const ok = await PgDatabase.connect({ url: tcpUrl(), passwordFile: passwordFile(SECRET) });
    expect((await ok.get<{ u: string }>("SELECT current_user AS u"))!.u).toBe(ROLE);
    await ok.close();
    const withPassword = `postgres://${ROLE}:${SECRET}@127.0.0.1:${port}/${db.name}`;
    const err = (() => {
      try {
        checkPostgresUrl(withPassword);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/holds a password: put it in a file \(--store-password-file\) or PGPASSFILE/);
    expect(err?.message).not.toContain(SECRET);
    expect(() => parseStoreOption(withPassword, dir)).toThrow(/--store: .*holds a password/);
    expect(() => parseStoreOption(`${tcpUrl()}?password=${SECRET}`, dir)).toThrow(/holds a password/);
  });

  it("a wrong password: 'authentication', the message names the user and server, not the password", async () => {
    const err = await rejection(PgDatabase.connect({ url: tcpUrl(), passwordFile: passwordFile("not-it") }));
    expect(err.reason).toBe("authentication");
    expect(err.message).toContain(`${ROLE}@127.0.0.1:${port}/${db.name}`);
    expect(err.message).not.toContain("not-it");
    expect(JSON.stringify(err)).not.toContain("not-it");
  });

  it("nobody listening: 'unreachable' with the address", async () => {
    const err = await rejection(PgDatabase.connect({ url: `postgres://${ROLE}@127.0.0.1:1/${db.name}` }));
    expect(err.reason).toBe("unreachable");
    expect(err.message).toMatch(/cannot reach PostgreSQL at .*127\.0\.0\.1:1/);
  });

  it("every pooled connection in use past the timeout: 'busy', not 'unreachable' (the server answers)", async () => {
    const store = await PgDatabase.connect({ url: db.url, max: 1, connectionTimeoutMs: 300 });
    try {
      let release!: () => void;
      const held = store.transaction(() => new Promise<void>((r) => (release = r)));
      await new Promise((r) => setTimeout(r, 50));
      const err = await rejection(store.get("SELECT 1"));
      expect(err.reason).toBe("busy");
      expect(err.message).toMatch(/all 1 pooled connections of this controller stayed in use/);
      release();
      await held;
      expect(await store.get<{ n: number }>("SELECT 1 AS n")).toEqual({ n: 1 });
    } finally {
      await store.close();
    }
  });

  it("a missing password file: 'config' naming the file", async () => {
    const err = await rejection(PgDatabase.connect({ url: tcpUrl(), passwordFile: join(dir, "absent") }));
    expect(err.reason).toBe("config");
    expect(err.message).toContain(join(dir, "absent"));
  });

  it("a read-only server: 'read-only', nothing created", async () => {
    const ro = await createTestDatabase();
    try {
      await admin(`ALTER DATABASE ${ro.name} SET default_transaction_read_only = on`);
      const handle = await PgDatabase.connect({ url: ro.url });
      try {
        const err = await rejection(applyPgMigrations(handle, CONTROLLER_MIGRATIONS));
        expect(err.reason).toBe("read-only");
        expect(err.message).toMatch(/read-only .*point --store at the primary/);
      } finally {
        await handle.close();
      }
      const tables = await admin<{ n: string }>(
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public'",
        ro.url,
      );
      expect(Number(tables[0]!.n)).toBe(0);
    } finally {
      await ro.drop();
    }
  });

  it("a schema newer than this build: run on when the newer steps only expand, refused when one contracts; never migrated down", async () => {
    const fresh = await createTestDatabase();
    const extra = (version: number, contract: boolean): Migration => ({
      version,
      name: contract ? "drop a column" : "add a table",
      sql: "",
      postgres: contract ? "ALTER TABLE hosts DROP COLUMN peer" : `CREATE TABLE future_${version} (x BIGINT)`,
      contract,
    });
    const n = CONTROLLER_MIGRATIONS.length;
    try {
      const handle = await PgDatabase.connect({ url: fresh.url });
      try {
        await applyPgMigrations(handle, [...CONTROLLER_MIGRATIONS, extra(n + 1, false)]);
        const older = await applyPgMigrations(handle, CONTROLLER_MIGRATIONS);
        expect(older).toEqual({ version: n + 1, known: n, newerCompatible: [{ version: n + 1, name: "add a table" }] });
        await applyPgMigrations(handle, [...CONTROLLER_MIGRATIONS, extra(n + 1, false), extra(n + 2, true)]);
        const err = await rejection(applyPgMigrations(handle, CONTROLLER_MIGRATIONS));
        expect(err.reason).toBe("schema");
        expect(err.message).toContain(
          `schema version ${n + 2}; step ${n + 2} (drop a column) changed what this virtfleet (schema ${n}) reads`,
        );
        const versions = await handle.all<{ version: number }>("SELECT version FROM virtfleet_schema ORDER BY version");
        expect(versions.length).toBe(n + 2);
      } finally {
        await handle.close();
      }
    } finally {
      await fresh.drop();
    }
  });
});
