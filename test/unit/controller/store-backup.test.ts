import Database from "better-sqlite3";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NotFoundError, SharedDataFolderError, ValidationError } from "../../../common/index.js";
import {
  backupStore,
  CONTROLLER_DB_FILE,
  CONTROLLER_MIGRATIONS,
  ControllerStore,
  DataFolderInUseError,
  DataFolderLock,
  LOCK_FILE,
  restoreStore,
} from "../../../controller/database/index.js";

const root = mkdtempSync(join(tmpdir(), "vft-store-backup-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = () => mkdtempSync(join(root, `d${n++}-`));

/** A real controller store in a new folder, with one host row written as the controller would. */
async function storeWithHost(host: string): Promise<string> {
  const dir = folder();
  const store = ControllerStore.open(dir);
  await store.close();
  const db = new Database(join(dir, CONTROLLER_DB_FILE));
  // the test's own marker row; the columns other than name take their defaults or are given here
  const cols = (
    db.prepare("PRAGMA table_info(hosts)").all() as { name: string; notnull: number; dflt_value: unknown }[]
  )
    .filter((c) => c.notnull && c.dflt_value === null && c.name !== "name")
    .map((c) => c.name);
  db.prepare(
    `INSERT INTO hosts (name${cols.map((c) => `, ${c}`).join("")}) VALUES (?${cols.map(() => ", 0").join("")})`,
  ).run(host);
  db.close();
  return dir;
}

const hostsIn = (file: string): string[] => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM hosts ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
};

describe("controller store backup and restore", () => {
  it("backup: a self-contained 0600 file of the store, checked; nothing else left beside it", async () => {
    const data = await storeWithHost("h-backup");
    const out = folder();
    const file = join(out, "b.db");
    const r = await backupStore(data, file);
    expect(r).toMatchObject({
      file,
      source: join(data, CONTROLLER_DB_FILE),
      schemaVersion: CONTROLLER_MIGRATIONS.length,
    });
    expect(r.bytes).toBe(statSync(file).size);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(out)).toEqual(["b.db"]);
    const db = new Database(file, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("delete");
    db.close();
    expect(hostsIn(file)).toEqual(["h-backup"]);
    // replaced atomically on a second run
    await backupStore(data, file);
    expect(readdirSync(out)).toEqual(["b.db"]);
  });

  it("backup refuses: no store, a missing folder for FILE, FILE being the store", async () => {
    const data = await storeWithHost("h-x");
    await expect(backupStore(folder(), join(root, "x.db"))).rejects.toThrow(NotFoundError);
    await expect(backupStore(data, join(root, "nope", "x.db"))).rejects.toThrow(ValidationError);
    await expect(backupStore(data, join(data, CONTROLLER_DB_FILE))).rejects.toThrow(/is the store itself/);
  });

  it("restore: the backup installed 0600, the replaced store (and its -wal) kept, other files untouched", async () => {
    const source = await storeWithHost("h-from-backup");
    const file = join(folder(), "b.db");
    await backupStore(source, file);
    const target = await storeWithHost("h-replaced");
    mkdirSync(join(target, "pki"));
    writeFileSync(join(target, "pki", "ca.key.pem"), "key", { mode: 0o600 });
    writeFileSync(join(target, `${CONTROLLER_DB_FILE}-wal`), "");
    const now = new Date("2026-12-06T23:15:04.123Z");
    const r = await restoreStore(file, target, now);
    const kept = join(target, `${CONTROLLER_DB_FILE}.before-restore-20261206T231504Z`);
    expect(r).toMatchObject({ file, store: join(target, CONTROLLER_DB_FILE), kept, madePrivate: [] });
    expect(hostsIn(join(target, CONTROLLER_DB_FILE))).toEqual(["h-from-backup"]);
    expect(hostsIn(kept)).toEqual(["h-replaced"]);
    expect(existsSync(`${kept}-wal`)).toBe(true);
    expect(statSync(join(target, CONTROLLER_DB_FILE)).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(target, "pki"))).toEqual(["ca.key.pem"]);
    expect(readdirSync(target).filter((f) => f.includes(".tmp"))).toEqual([]);
    // the restored store opens and is the one the controller uses
    const store = ControllerStore.open(target);
    await store.close();
    expect(hostsIn(join(target, CONTROLLER_DB_FILE))).toEqual(["h-from-backup"]);
  });

  it("restore refuses: a held folder, a newer schema, a file that is not a store, a corrupt file, a shared folder", async () => {
    const source = await storeWithHost("h-src");
    const file = join(folder(), "b.db");
    await backupStore(source, file);
    const target = await storeWithHost("h-keep");
    const lock = DataFolderLock.acquire(target, "the controller");
    await expect(restoreStore(file, target)).rejects.toThrow(DataFolderInUseError);
    lock.release();

    const newer = join(folder(), "newer.db");
    await backupStore(source, newer);
    const db = new Database(newer);
    db.pragma(`user_version = ${CONTROLLER_MIGRATIONS.length + 1}`);
    db.close();
    await expect(restoreStore(newer, target)).rejects.toThrow(
      `${newer} has schema version ${CONTROLLER_MIGRATIONS.length + 1}, newer than this virtfleet knows (${CONTROLLER_MIGRATIONS.length})`,
    );

    const text = join(root, "not-a-db.txt");
    writeFileSync(text, "hello, I am not a database at all\n".repeat(200));
    await expect(restoreStore(text, target)).rejects.toThrow(/is not a controller store backup/);

    const other = join(root, "other.db");
    const o = new Database(other);
    o.exec("CREATE TABLE t (x)");
    o.pragma("user_version = 1");
    o.close();
    await expect(restoreStore(other, target)).rejects.toThrow(
      /is not a controller store \(schema version 1, no hosts table\)/,
    );

    const corrupt = join(folder(), "corrupt.db");
    await backupStore(source, corrupt);
    const bytes = statSync(corrupt).size;
    const c = new Database(corrupt);
    const page = c.pragma("page_size", { simple: true }) as number;
    c.close();
    // overwrite a page in the middle of the file (not the header): the integrity check finds it
    const fd = openSync(corrupt, "r+");
    writeSync(fd, Buffer.alloc(page, 0x41), 0, page, Math.floor(bytes / page / 2) * page);
    closeSync(fd);
    await expect(restoreStore(corrupt, target)).rejects.toThrow(ValidationError);

    expect(hostsIn(join(target, CONTROLLER_DB_FILE))).toEqual(["h-keep"]); // untouched by every refusal
    expect(readdirSync(target).filter((f) => f.includes("before-restore") || f.includes(".tmp"))).toEqual([]);

    const shared = folder();
    chmodSync(shared, 0o1777);
    await expect(restoreStore(file, shared)).rejects.toThrow(SharedDataFolderError);
    expect(() => ControllerStore.open(shared)).toThrow(SharedDataFolderError);
    expect(existsSync(join(shared, LOCK_FILE))).toBe(false);
  });
});
