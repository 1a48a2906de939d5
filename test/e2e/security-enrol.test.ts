import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileMode } from "../../common/pki/index.js";
import { runCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import {
  createToken,
  secureHosts,
  startSecureAgent,
  startSecureController,
  waitForSecureHost,
  type SecureController,
} from "../harness/secure-fleet.js";

const tmp = tempDir("vft-sec-");
let controller: SecureController;
let agent: Proc;
const agentState = join(tmp.path, "agent-h1");

beforeAll(async () => {
  controller = await startSecureController(join(tmp.path, "controller"));
});
afterAll(async () => {
  await stopAll();
  tmp.cleanup();
});

/** Output of an agent that must exit: its exit code and stderr. */
async function agentExit(p: Proc): Promise<{ code: number | null; stderr: string }> {
  const code = await Promise.race([p.exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 20_000))]);
  if (code === "hung") {
    await p.stop("SIGKILL");
    throw new Error(`agent did not exit: ${p.stderr.slice(-2000)}`);
  }
  return { code, stderr: p.stderr };
}

describe("a controller without --insecure", () => {
  it("creates its CA, server certificate and the bootstrap admin credential, all 0600", () => {
    for (const f of [
      "pki/ca.cert.pem",
      "pki/ca.key.pem",
      "pki/server.cert.pem",
      "pki/server.key.pem",
      "admin/key.pem",
      "admin/cert.pem",
      "admin/ca.pem",
    ]) {
      expect(fileMode(join(controller.dataDir, f)), f).toBe(0o600);
    }
  });

  it("enrols an agent with a token: it connects and hosts --data lists it", async () => {
    const t = await createToken(controller);
    expect(t.token).toMatch(/^vf1\./);
    expect(Date.parse(t.expiresAt) - Date.now()).toBeGreaterThan(50 * 60_000);
    agent = startSecureAgent(controller, "h1", agentState, t.token);
    const h = await waitForSecureHost(controller, "h1", true);
    expect(h.connected).toBe(true);
    for (const f of ["key.pem", "cert.pem", "ca.pem"]) expect(fileMode(join(agentState, "tls", f)), f).toBe(0o600);
    expect(fileMode(join(agentState, "tls"))).toBe(0o700);
  });

  it("lets a restarted agent reconnect with its stored certificate, no token", async () => {
    await agent.stop();
    agent = startSecureAgent(controller, "h1", agentState);
    await waitFor(
      "the restarted agent to connect",
      () => (agent.stderr.includes("connected to controller") ? true : undefined),
      15_000,
    );
    expect(agent.stderr).not.toMatch(/enrolled/);
  });

  it("refuses a used token, an expired one and one bound to another host with a clear error (the agent exits 1)", async () => {
    const [used, short, bound] = await Promise.all([
      createToken(controller),
      createToken(controller, ["--ttl", "1s"]),
      createToken(controller, ["--host", "only-this"]),
    ]);
    const first = startSecureAgent(controller, "h2", join(tmp.path, "agent-h2"), used.token);
    await waitFor(
      "h2 to enrol",
      () => (first.stderr.includes("enrolled: certificate stored") ? true : undefined),
      15_000,
    );
    await first.stop();
    // The 1 s token must have expired (an agent now enrols and stops in less than that).
    const expiredIn = Date.parse(short.expiresAt) + 50 - Date.now();
    if (expiredIn > 0) await new Promise((r) => setTimeout(r, expiredIn));
    expect(Date.now()).toBeGreaterThan(Date.parse(short.expiresAt));
    const [again, late, wrong] = await Promise.all([
      agentExit(startSecureAgent(controller, "h3", join(tmp.path, "agent-h3"), used.token)),
      agentExit(startSecureAgent(controller, "h4", join(tmp.path, "agent-h4"), short.token)),
      agentExit(startSecureAgent(controller, "h5", join(tmp.path, "agent-h5"), bound.token)),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/token was already used/);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/token expired at/);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/token is for host "only-this"/);
  });

  it("refuses an agent with no certificate and no token (exit 2, names --token-file)", async () => {
    const r = await agentExit(startSecureAgent(controller, "h6", join(tmp.path, "agent-h6")));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--token-file: this host is not enrolled/);
  });

  it("cert revoke kicks the connected agent within 1 s and refuses it afterwards", async () => {
    const before = agent.stderr.length;
    const r = await runCli([
      "cert",
      "revoke",
      "h1",
      "--json",
      "--controller",
      controller.address,
      "--data",
      controller.dataDir,
      "--reason",
      "test",
    ]);
    const revokedAt = Date.now();
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ host: "h1", revoked: 1, disconnected: true });
    await waitFor(
      "the agent to be told",
      () => (agent.stderr.slice(before).includes("certificate revoked") ? true : undefined),
      1_000,
      20,
    );
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    await waitFor(
      "the agent to be refused",
      () => (/was revoked/.test(agent.stderr.slice(before)) ? true : undefined),
      10_000,
      100,
    );
    const h = (await secureHosts(controller)).find((x) => x.name === "h1");
    expect(h?.connected).toBe(false);
    // unknown host: exit 2 naming it
    const unknown = await runCli([
      "cert",
      "revoke",
      "nobody",
      "--controller",
      controller.address,
      "--data",
      controller.dataDir,
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no certificate was ever issued to host "nobody"/);
  });

  it("lets a revoked host back only with a new token (its stored certificate stays refused)", async () => {
    await agent.stop();
    const t = await createToken(controller, ["--host", "h1"]);
    agent = startSecureAgent(controller, "h1", agentState, t.token);
    await waitFor(
      "h1 to enrol again",
      () => (agent.stderr.includes("enrolled again: certificate stored") ? true : undefined),
      20_000,
    );
    await waitForSecureHost(controller, "h1", true);
  });
});
