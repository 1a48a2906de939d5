import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../harness/postgres.js";
import { runCli, secretFile, spawnCli, stopAll, tempDir, waitFor } from "../harness/processes.js";
import { type SecureController, startSecureController } from "../harness/secure-fleet.js";

/**
 * Two real `virtfleet controller --store postgres://… --store-key-file F` (mTLS, each its own
 * data folder) on one test database share one CA: the bootstrap admin credential of either
 * works against both; a third replica with another key file, or with another --ca-cert, is
 * refused at start.
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

describe("controller replicas on PostgreSQL share one CA", () => {
  it("an admin credential of either replica works on both; another key or another CA is refused", async () => {
    database = await createTestDatabase();
    const keyFile = secretFile(tmp.path, "store.key", storeKey);
    // started at the same moment: one of them stores the CA
    const [a, b] = (await Promise.all(
      ["a", "b"].map((n) => startSecureController(join(tmp.path, n), storeArgs(database!.url, keyFile))),
    )) as [SecureController, SecureController];

    for (const credentials of [a, b])
      for (const target of [a, b]) {
        const r = await runCli(["hosts", "--json", "--controller", target.address, "--data", credentials.dataDir]);
        expect(r.code, `${credentials.dataDir} → ${target.address}: ${r.stderr}`).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual([]);
      }
    // the CLI with both replicas in --controller reaches the fleet through either
    const both = await runCli(["hosts", "--json", "--controller", `${a.address},${b.address}`, "--data", a.dataDir]);
    expect(both.code, both.stderr).toBe(0);

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

    // the replicas still serve
    const after = await runCli(["hosts", "--json", "--controller", b.address, "--data", a.dataDir]);
    expect(after.code, after.stderr).toBe(0);
  }, 120_000);
});
