import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ControllerStore,
  DataFolderInUseError,
  DataFolderLock,
  LOCK_FILE,
  LOCK_PID_FILE,
} from "../../../controller/database/index.js";
import { exitCodeFor } from "../../../cli/exit-codes.js";

const root = mkdtempSync(join(tmpdir(), "vft-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = () => mkdtempSync(join(root, `d${n++}-`));

describe("the controller data folder lock", () => {
  it("one holder at a time, named by pid; released on release()", () => {
    const dir = folder();
    const lock = DataFolderLock.acquire(dir, "the controller");
    expect(statSync(join(dir, LOCK_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, LOCK_PID_FILE), "utf8")).toBe(`${process.pid}\n`);
    expect(DataFolderLock.isHeld(dir)).toBe(true);
    let err: unknown;
    try {
      DataFolderLock.acquire(dir, "restore");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataFolderInUseError);
    expect((err as Error).message).toBe(
      `restore cannot use the data folder ${dir}: another process holds it (pid ${process.pid}, a running controller or restore; lock ${join(dir, LOCK_FILE)})`,
    );
    expect(exitCodeFor(err)).toBe(4);
    lock.release();
    expect(existsSync(join(dir, LOCK_PID_FILE))).toBe(false);
    expect(DataFolderLock.isHeld(dir)).toBe(false);
    DataFolderLock.acquire(dir, "restore").release();
  });

  it("an open ControllerStore holds its folder until close()", async () => {
    const dir = folder();
    const store = ControllerStore.open(dir);
    expect(() => ControllerStore.open(dir)).toThrow(DataFolderInUseError);
    await store.close();
    await ControllerStore.open(dir).close();
  });

  it("a holder killed with SIGKILL leaves no stale lock (the pid file it left does not count)", async () => {
    const dir = folder();
    const lockModule = join(process.cwd(), "node_modules", "better-sqlite3");
    const script = `
      const Database = require(${JSON.stringify(lockModule)});
      const db = new Database(${JSON.stringify(join(dir, LOCK_FILE))}, { timeout: 0 });
      db.exec("BEGIN IMMEDIATE");
      require("fs").writeFileSync(${JSON.stringify(join(dir, LOCK_PID_FILE))}, process.pid + "\\n");
      process.stdout.write("held\\n");
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    expect(DataFolderLock.isHeld(dir)).toBe(true);
    expect(() => DataFolderLock.acquire(dir, "restore")).toThrow(`pid ${child.pid}`);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect(existsSync(join(dir, LOCK_PID_FILE))).toBe(true);
    const lock = DataFolderLock.acquire(dir, "the controller");
    expect(readFileSync(join(dir, LOCK_PID_FILE), "utf8")).toBe(`${process.pid}\n`);
    lock.release();
  });
});
