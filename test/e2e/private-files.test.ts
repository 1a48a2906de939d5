/**
 * Files are private whatever existed before (issue 21 item 14), with real controller and
 * agent processes: a data or state folder created 0755 beforehand is made 0700 and the
 * SQLite files (database, -wal, -shm) are 0600, each fix logged; database files left 0644
 * (by an older release, a restore, a umask) are made 0600 at the next start; a shared folder
 * (world-writable, sticky: /tmp-like) is refused with a message, never changed.
 * No libvirt object is created (no policy).
 */
import { chmodSync, existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startAgent, startController, waitForHost, type StartedController } from "../harness/fleet.js";
import { stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import { testPrefix } from "../harness/virsh.js";

const prefix = testPrefix();
const data = tempDir("vft-private-files-");
afterAll(async () => {
  await stopAll();
  data.cleanup();
});

const mode = (p: string) => statSync(p).mode & 0o7777;
const sqliteFiles = (db: string) => [db, `${db}-wal`, `${db}-shm`].filter((f) => existsSync(f));

function expectPrivate(dir: string, db: string): void {
  expect(mode(dir).toString(8)).toBe("700");
  const files = sqliteFiles(db);
  expect(files).toContain(db);
  expect(files.length).toBeGreaterThanOrEqual(2); // WAL mode: -wal and -shm exist while open
  for (const f of files) expect([f, mode(f).toString(8)]).toEqual([f, "600"]);
}

function loosen(dir: string, db: string): void {
  chmodSync(dir, 0o755);
  for (const f of sqliteFiles(db)) chmodSync(f, 0o644);
}

const warned = (p: Proc, re: RegExp) => p.logs().some((l) => l.level === 40 && re.test(l.msg));

describe("the controller's and the agent's SQLite files", () => {
  const controllerDir = join(data.path, "controller");
  const controllerDb = join(controllerDir, "controller.db");
  const stateDir = join(data.path, "agent");
  const agentDb = join(stateDir, "agent.db");
  let controller: StartedController;
  let agent: Proc;

  it("a data folder that existed 0755: made 0700, the database files 0600, and logged", async () => {
    mkdirSync(join(controllerDir, "policies"), { recursive: true });
    chmodSync(controllerDir, 0o755);
    controller = await startController({ dataDir: controllerDir });
    expectPrivate(controllerDir, controllerDb);
    expect(warned(controller.proc, /data folder .* was readable by others \(mode 0755\); it is now 0700/)).toBe(true);
  });

  it("a state folder that existed 0755: the same for the agent", async () => {
    mkdirSync(stateDir);
    chmodSync(stateDir, 0o755);
    agent = startAgent({ controller: controller.address, name: `${prefix}host`, stateDir });
    await waitForHost(controller.address, `${prefix}host`, true, 20_000);
    expectPrivate(stateDir, agentDb);
    expect(warned(agent, /data folder .* was readable by others \(mode 0755\); it is now 0700/)).toBe(true);
  });

  it("database files left 0644 in a 0755 folder are made private at the next start", async () => {
    await agent.stop();
    await controller.proc.stop();
    loosen(controllerDir, controllerDb);
    loosen(stateDir, agentDb);
    expect(mode(controllerDb).toString(8)).toBe("644");
    controller = await startController({ dataDir: controllerDir });
    agent = startAgent({ controller: controller.address, name: `${prefix}host`, stateDir });
    await waitForHost(controller.address, `${prefix}host`, true, 20_000);
    expectPrivate(controllerDir, controllerDb);
    expectPrivate(stateDir, agentDb);
    for (const p of [controller.proc, agent])
      expect(warned(p, /database file .*\.db was readable by others \(mode 0644\); it is now 0600/)).toBe(true);
  });

  it("a shared (world-writable, sticky) state folder is refused with a message and left as it was", async () => {
    const shared = join(data.path, "shared");
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const refused = startAgent({ controller: controller.address, name: `${prefix}other`, stateDir: shared });
    const code = await waitFor("the agent to exit", async () => (refused.running ? undefined : refused.exited), 20_000);
    expect(code).not.toBe(0);
    expect(refused.stderr).toMatch(/data folder .*shared is shared \(world-writable or sticky\)/);
    expect(mode(shared).toString(8)).toBe("1777");
    expect(existsSync(join(shared, "agent.db"))).toBe(false);
  });
});
