import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../harness/postgres.js";
import { freePort, runCli, secretFile, spawnCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import { startSecureController } from "../harness/secure-fleet.js";

/**
 * Two real `virtfleet controller --store postgres://… --store-key-file F` (mTLS, each its own
 * data folder) on one test database share one CA: one serves, the other stands by; the
 * bootstrap admin credential of either works on the one serving, also after a takeover; a
 * third replica with another key file, or with another --ca-cert, is refused at start.
 */
const tmp = tempDir("vft-e2e-shared-ca-");
let database: TestDatabase | undefined;
afterAll(async () => {
  await stopAll();
  await database?.drop();
  tmp.cleanup();
});

const storeKey = randomBytes(32);

/** A replica's flags on the shared store. */
function storeArgs(url: string, keyFile: string): string[] {
  return ["--store", url, "--store-key-file", keyFile, "--no-web"];
}

/** What a controller that must refuse to start printed, once it exited (non-zero). */
async function refusedStart(dataDir: string, args: string[]): Promise<string> {
  const proc = spawnCli(["controller", "--listen", "127.0.0.1:0", "--data", dataDir, ...args]);
  await waitFor("the controller to exit", () => (proc.running ? undefined : true), 20_000, 50);
  expect(proc.stdout).not.toContain("listening on");
  return proc.stderr;
}

/** `virtfleet controller` on the shared store at a fixed loopback port (every replica serves; one leads). */
function replica(dir: string, port: number, url: string, keyFile: string): Proc {
  mkdirSync(join(dir, "policies"), { recursive: true });
  return spawnCli([
    "controller",
    "--listen",
    `127.0.0.1:${port}`,
    "--data",
    dir,
    "--policies",
    join(dir, "policies"),
    ...storeArgs(url, keyFile),
  ]);
}

const FOLLOWING = /^following:/;

describe("controller replicas on PostgreSQL share one CA", () => {
  it("an admin credential of either replica works on both, before and after one is killed; another key or another CA is refused", async () => {
    database = await createTestDatabase();
    const keyFile = secretFile(tmp.path, "store.key", storeKey);
    // started at the same moment: one of them stores the CA, one leads, the other follows; both serve
    const ports = [await freePort(), await freePort()];
    const procs = ["a", "b"].map((n, i) => replica(join(tmp.path, n), ports[i]!, database!.url, keyFile));
    const followerIndex = await waitFor(
      "both replicas serving, one following",
      () => {
        for (const p of procs) if (!p.running) throw new Error(`a replica exited: ${p.stderr}`);
        if (!procs.every((p) => /listening on/.test(p.stdout))) return undefined;
        const f = procs.findIndex((p) => p.logs().some((x) => FOLLOWING.test(String(x.msg))));
        return f >= 0 ? f : undefined;
      },
      30_000,
      50,
    );
    const leaderIndex = 1 - followerIndex;
    const dirOf = (i: number) => join(tmp.path, i === 0 ? "a" : "b");
    const addressOf = (i: number) => `127.0.0.1:${ports[i]}`;
    // both wrote their admin credential (issued by the shared CA): each works on each replica
    for (const credentials of [leaderIndex, followerIndex])
      for (const on of [leaderIndex, followerIndex]) {
        const r = await runCli(["hosts", "--json", "--controller", addressOf(on), "--data", dirOf(credentials)]);
        expect(r.code, `${dirOf(credentials)} → ${addressOf(on)}: ${r.stderr}`).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual([]);
      }

    // the leader killed: the follower leads with the same CA; the dead one's credential still works
    await procs[leaderIndex]!.stop("SIGKILL");
    await waitFor(
      "the follower to lead",
      () => (procs[followerIndex]!.logs().some((l) => String(l.msg).startsWith("leading:")) ? true : undefined),
      15_000,
      50,
    );
    const after = await runCli([
      "hosts",
      "--json",
      "--controller",
      `${addressOf(leaderIndex)},${addressOf(followerIndex)}`,
      "--data",
      dirOf(leaderIndex),
    ]);
    expect(after.code, after.stderr).toBe(0);

    const wrong = randomBytes(32);
    const wrongFile = secretFile(tmp.path, "other.key", wrong);
    const wrongKey = await refusedStart(join(tmp.path, "c"), storeArgs(database.url, wrongFile));
    expect(wrongKey).toContain(wrongFile);
    expect(wrongKey).toContain("sealed with another key");
    for (const k of [wrong, storeKey]) {
      expect(wrongKey).not.toContain(k.toString("hex"));
      expect(wrongKey).not.toContain(k.toString("base64"));
    }

    // a replica given its own CA (here: the one a SQLite controller made in its data folder)
    const other = await startSecureController(join(tmp.path, "lone"), ["--no-web"]);
    expect(await other.proc.stop("SIGTERM")).toBe(0);
    const otherCa = join(tmp.path, "lone", "pki");
    const differentCa = await refusedStart(join(tmp.path, "d"), [
      ...storeArgs(database.url, keyFile),
      "--ca-cert",
      join(otherCa, "ca.cert.pem"),
      "--ca-key",
      join(otherCa, "ca.key.pem"),
    ]);
    expect(differentCa).toContain("two replicas with different CA keys");

    // without the key file on PostgreSQL: told what to do
    const missing = await refusedStart(join(tmp.path, "e"), ["--store", database.url, "--no-web"]);
    expect(missing).toContain("--store-key-file: is required with a postgres:// --store");
  }, 120_000);
});
