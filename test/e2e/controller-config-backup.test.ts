import Database from "better-sqlite3";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newStats, SimulatedAgent } from "../../bench/loadgen/simulated-agent.js";
import { syntheticFacts } from "../../bench/loadgen/synthetic-facts.js";
import type { DriftJson } from "../../common/wire/drift.js";
import { CONTROLLER_DB_FILE } from "../../controller/database/index.js";
import { hostsJson, startController, waitForHost, type StartedController } from "../harness/fleet.js";
import { runCli, spawnCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";

// Configuration files and the store's backup/restore through the real CLI: a controller and an
// agent started from their YAML files (flags overriding the controller's), a backup taken while
// simulated agents (bench/loadgen, the real protocol) send drift, refusals while the controller
// runs, and a restore into another (stopped) controller's data folder that then serves the hosts
// and drift of the backup.
const tmp = tempDir("vft-cfgbak-e2e-");
const prefix = `vft-cfgbak-${process.pid}`;
const policiesDir = join(tmp.path, "policies");
const dataA = join(tmp.path, "ctl-a");
const dataB = join(tmp.path, "ctl-b");
const backupFile = join(tmp.path, "backups", "store.db");
const simulated: SimulatedAgent[] = [];
let driftTimer: NodeJS.Timeout | undefined;
let controller: StartedController | undefined;
let agent: Proc | undefined;

mkdirSync(policiesDir, { recursive: true });
mkdirSync(join(tmp.path, "backups"));

afterAll(async () => {
  clearInterval(driftTimer);
  for (const s of simulated) s.stop();
  await stopAll();
  tmp.cleanup();
});

const cli = (...args: string[]) => runCli([...args, "--controller", controller!.address, "--insecure"]);

function writeConfig(name: string, text: string, mode = 0o644): string {
  const f = join(tmp.path, name);
  writeFileSync(f, text);
  chmodSync(f, mode); // not through writeFileSync's mode: the umask would take o+w away
  return f;
}

async function driftOf(host: string): Promise<DriftJson[]> {
  const r = await cli("drift", "--host", host, "--json", "--limit", "100000");
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as DriftJson[];
}

function storeCounts(file: string): { hosts: number; drift: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hosts = (db.prepare("SELECT count(*) AS n FROM hosts WHERE name LIKE ?").get(`${prefix}%`) as { n: number })
      .n;
    const drift = (
      db.prepare("SELECT count(*) AS n FROM drift_events WHERE host LIKE ?").get(`${prefix}%`) as { n: number }
    ).n;
    return { hosts, drift };
  } finally {
    db.close();
  }
}

describe("configuration files, backup and restore (real CLI)", () => {
  const controllerYaml = writeConfig(
    "controller.yaml",
    [
      "# the file sets these; the command line overrides listen and data",
      "listen: 127.0.0.2:0",
      `data: ${join(tmp.path, "not-this-one")}`,
      `policies: ${policiesDir}`,
      "insecure: true",
      "heartbeat-interval: 2s",
      "",
    ].join("\n"),
  );

  it("an invalid configuration file: exit 2 with file:line:col, nothing started", async () => {
    const bad = writeConfig(
      "bad.yaml",
      `listen: 127.0.0.1:0\nhearbeat-interval: 2s\ndata: ${join(tmp.path, "never")}\n`,
    );
    const r = await runCli(["controller", "--config", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:2:1: hearbeat-interval: unknown option; did you mean \`heartbeat-interval\`?`);
    expect(r.stdout).toBe("");
    expect(existsSync(join(tmp.path, "never"))).toBe(false);
    const ww = writeConfig("ww.yaml", "insecure: true\n", 0o666);
    const w = await runCli([
      "controller",
      ...["--config", ww, "--data", join(tmp.path, "never"), "--listen", "127.0.0.1:0", "--policies", policiesDir],
    ]);
    expect(w.code).toBe(2);
    expect(w.stderr).toContain("is writable by every user");
    expect(existsSync(join(tmp.path, "never"))).toBe(false);
  });

  it("a controller started from its file, flags overriding it; an agent started from agent.yaml", async () => {
    // only the file says --insecure, --policies and --heartbeat-interval
    const proc = spawnCli(["controller", "--config", controllerYaml, "--listen", "127.0.0.1:0", "--data", dataA]);
    const address = await waitFor("controller to listen", () => {
      if (!proc.running) throw new Error(`controller exited: ${proc.stderr}`);
      return /listening on (\S+)/.exec(proc.stdout)?.[1];
    });
    controller = { proc, address, port: Number(address.split(":").pop()) };
    expect(controller.address).toMatch(/^127\.0\.0\.1:\d+$/); // --listen over the file's 127.0.0.2
    expect(existsSync(join(dataA, CONTROLLER_DB_FILE))).toBe(true); // --data over the file's
    expect(existsSync(join(tmp.path, "not-this-one"))).toBe(false);

    const agentYaml = writeConfig(
      "agent.yaml",
      [
        `controller: ${controller.address}`,
        `name: ${prefix}-agent`,
        `state-dir: ${join(tmp.path, "agent-state")}`,
        `libvirt-socket: ${join(tmp.path, "no-libvirt.sock")}`,
        "insecure: true",
        "max-backoff: 1s",
        "",
      ].join("\n"),
    );
    agent = spawnCli(["agent", "--config", agentYaml]);
    await waitForHost(controller.address, `${prefix}-agent`, true);
  });

  it("backup while simulated agents send drift: 0600, integrity checked, the hosts and drift of that moment", async () => {
    for (let i = 0; i < 4; i++) {
      const host = `${prefix}-sim${i}`;
      const s = new SimulatedAgent({
        host,
        target: { authority: `http://${controller!.address}` },
        facts: syntheticFacts(host, i),
        stats: newStats(),
        welcomeTimeoutMs: 10_000,
      });
      simulated.push(s);
      s.start();
    }
    await waitFor("simulated agents to be welcomed", () => (simulated.every((s) => s.isConnected) ? true : undefined));
    driftTimer = setInterval(() => {
      for (const s of simulated) s.sendDrift();
    }, 10);
    await waitFor("drift stored", async () => ((await driftOf(`${prefix}-sim0`)).length >= 20 ? true : undefined));

    const r = await runCli(["controller", "backup", backupFile, "--data", dataA]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^wrote ${backupFile}: the controller store ${join(dataA, CONTROLLER_DB_FILE)} \\(schema version \\d+, \\d+ bytes\\), integrity checked$`,
        "m",
      ),
    );
    expect(r.stdout).toContain(`not in it: ${join(dataA, "pki")}`);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(tmp.path, "backups"))).toEqual(["store.db"]); // no temporary or -wal/-shm left
    const inBackup = storeCounts(backupFile);
    expect(inBackup.hosts).toBe(5);
    expect(inBackup.drift).toBeGreaterThanOrEqual(4 * 20 - 20);
    // ingest went on during and after the backup
    await waitFor("more drift after the backup", async () => {
      const n = (await Promise.all(simulated.map((_, i) => driftOf(`${prefix}-sim${i}`)))).flat().length;
      return n > inBackup.drift ? true : undefined;
    });
  });

  it("restore is refused while the controller runs on the folder; so is a second controller", async () => {
    const r = await runCli(["controller", "restore", backupFile, "--data", dataA]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      new RegExp(
        `restore cannot use the data folder ${dataA}: another process holds it \\(pid ${controller!.proc.child.pid}, `,
      ),
    );
    expect(readdirSync(dataA).filter((f) => f.includes("before-restore"))).toEqual([]);
    const second = await runCli([
      "controller",
      "--insecure",
      "--listen",
      "127.0.0.1:0",
      "--data",
      dataA,
      "--policies",
      policiesDir,
    ]);
    expect(second.code).toBe(4);
    expect(second.stderr).toContain(`the controller cannot use the data folder ${dataA}`);
  });

  it("restore into a stopped controller's folder: the replaced store kept, the backup's hosts and drift served", async () => {
    clearInterval(driftTimer);
    for (const s of simulated) s.stop();
    await agent!.stop();
    await controller!.proc.stop();
    // another controller's folder, with a store of its own (then stopped)
    controller = await startController({ dataDir: dataB, policiesDir });
    expect((await hostsJson(controller.address)).filter((h) => h.name.startsWith(prefix))).toEqual([]);
    await controller.proc.stop();

    const newer = join(tmp.path, "backups", "newer.db");
    copyFileSync(backupFile, newer);
    const db = new Database(newer);
    db.pragma("user_version = 9999");
    db.close();
    const refused = await runCli(["controller", "restore", newer, "--data", dataB]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${newer} has schema version 9999, newer than this virtfleet knows`);

    const r = await runCli(["controller", "restore", backupFile, "--data", dataB]);
    expect(r.code, r.stderr).toBe(0);
    const kept = /^the replaced store is kept as (\S+)$/m.exec(r.stdout)?.[1];
    expect(kept).toMatch(new RegExp(`^${join(dataB, CONTROLLER_DB_FILE)}\\.before-restore-\\d{8}T\\d{6}Z$`));
    expect(storeCounts(kept!).hosts).toBe(0); // the replaced store, intact
    expect(statSync(join(dataB, CONTROLLER_DB_FILE)).mode & 0o777).toBe(0o600);
    const inBackup = storeCounts(backupFile);

    controller = await startController({ dataDir: dataB, policiesDir });
    const hosts = (await hostsJson(controller.address)).filter((h) => h.name.startsWith(prefix));
    expect(hosts.map((h) => h.name).sort()).toEqual([
      `${prefix}-agent`,
      ...[0, 1, 2, 3].map((i) => `${prefix}-sim${i}`),
    ]);
    const drift = (await Promise.all([0, 1, 2, 3].map((i) => driftOf(`${prefix}-sim${i}`)))).flat();
    expect(drift.length).toBe(inBackup.drift);
    expect(drift[0]).toMatchObject({ kind: "network", name: "bench-net", remediation: "repaired" });
  });
});
