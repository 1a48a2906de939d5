import * as grpc from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { controllerOrder } from "../../agent/link/index.js";
import { createTestDatabase, type TestDatabase } from "../harness/postgres.js";
import { runCli, secretFile, spawnCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import {
  createToken,
  helloStatus,
  readCredential,
  startSecureController,
  tlsCredentials,
  type SecureController,
} from "../harness/secure-fleet.js";

/**
 * Two mTLS controller replicas on one PostgreSQL database (real processes, one shared CA), an
 * agent whose stream is on the follower: a revocation asked of the leader cuts it there within
 * a second and neither replica lets it back; `host remove` asked of the follower is taken by
 * the leader (the CLI is told its address).
 */
const tmp = tempDir("vft-e2e-replicas-secure-");
let database: TestDatabase | undefined;
afterAll(async () => {
  await stopAll();
  await database?.drop();
  tmp.cleanup();
}, 60_000);

const leads = (p: Proc) => p.logs().some((l) => String(l.msg).startsWith("leading:"));

/** A host name (with `prefix`) that tries the second of two controllers first. */
function nameTryingSecond(prefix: string): string {
  for (let i = 0; ; i++) if (controllerOrder(`${prefix}-${i}`, 2)[0] === 1) return `${prefix}-${i}`;
}

async function hostsOn(c: SecureController): Promise<{ name: string; connected: boolean }[]> {
  const r = await runCli(["hosts", "--json", "--controller", c.address, "--data", c.dataDir]);
  if (r.code !== 0) throw new Error(`hosts --json exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { name: string; connected: boolean }[];
}

describe("mTLS replicas on PostgreSQL", () => {
  it("a revocation on the leader cuts the host's stream on the follower within a second; host remove on a follower is done by the leader", async () => {
    database = await createTestDatabase();
    const keyFile = secretFile(tmp.path, "store.key", randomBytes(32));
    const store = ["--store", database.url, "--store-key-file", keyFile, "--no-web"];
    const leader = await startSecureController(join(tmp.path, "a"), [...store, "--replica-name", "a"]);
    await waitFor("a to lead", () => (leads(leader.proc) ? true : undefined), 15_000);
    const follower = await startSecureController(join(tmp.path, "b"), [...store, "--replica-name", "b"]);
    await waitFor("b to follow", () =>
      follower.proc.logs().some((l) => String(l.msg).startsWith("following:")) ? true : undefined,
    );
    const list = `${leader.address},${follower.address}`;

    // an agent enrolled with a token of the leader, whose stream is on the follower
    const name = nameTryingSecond(`vft-rsec${process.pid}`);
    const state = join(tmp.path, "agent");
    const agent = spawnCli([
      "agent",
      "--controller",
      list,
      "--name",
      name,
      "--state-dir",
      state,
      "--token-file",
      secretFile(tmp.path, "token", `${(await createToken(leader)).token}\n`),
      "--max-backoff",
      "1s",
    ]);
    const connected = await waitFor("the agent's connection", () =>
      agent.logs().find((l) => l.msg === "connected to controller"),
    );
    expect(connected.controller).toBe(follower.address);
    // the leader shows it connected (its stream is on the follower)
    await waitFor("the leader to show it connected", async () =>
      (await hostsOn(leader)).find((h) => h.name === name && h.connected),
    );

    // revoked on the leader: the follower ends the stream within a second
    const revokedAt = Date.now();
    const r = await runCli(["cert", "revoke", name, "--controller", leader.address, "--data", leader.dataDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("its stream was closed");
    await waitFor(
      "the follower to end the stream",
      () =>
        follower.proc
          .logs()
          .find(
            (l) =>
              l.msg === "disconnecting host" && l.host === name && String(l.reason).includes("certificate revoked"),
          ),
      5_000,
      10,
    );
    const cutMs = Date.now() - revokedAt;
    console.info(`revoked on the leader: the stream on the follower ended ${cutMs} ms after the CLI was started`);
    expect(cutMs).toBeLessThan(1_000 + 1_500 /* the CLI process's own start and mTLS handshake */);
    // neither replica lets the revoked certificate back in
    const creds = tlsCredentials(readCredential(join(state, "tls")));
    for (const c of [leader, follower]) {
      const hello = await helloStatus(c.address, creds, name);
      expect(hello.welcomed, c.address).toBe(false);
      expect([grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED]).toContain(hello.code);
    }
    await agent.stop("SIGTERM");

    // host remove asked of the follower: the CLI is sent to the leader, which removes it
    const removed = await runCli([
      "host",
      "remove",
      name,
      "--json",
      "--controller",
      follower.address,
      "--data",
      follower.dataDir,
    ]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ host: name, removed: true });
    expect((await hostsOn(follower)).map((h) => h.name)).not.toContain(name);
  }, 120_000);
});
