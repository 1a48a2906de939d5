import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, stopAll, tempDir, waitFor } from "../harness/processes.js";
import {
  createToken,
  secureHosts,
  startSecureAgent,
  startSecureController,
  waitForSecureHost,
  type SecureController,
} from "../harness/secure-fleet.js";

// Issue 21 item 12 with mTLS (no --insecure): an admin certificate is revoked and refused at
// its next call, and `host remove` revokes the removed host's certificate, so its agent cannot
// come back with it.
const tmp = tempDir("vft-revoke-admin-");
let controller: SecureController;
const carolDir = join(tmp.path, "carol");
const cli = (data: string, ...args: string[]) => runCli([...args, "--controller", controller.address, "--data", data]);

beforeAll(async () => {
  controller = await startSecureController(join(tmp.path, "controller"));
  const r = await cli(controller.dataDir, "admin", "create", "carol", "--role", "viewer", "--out", carolDir);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await stopAll();
  tmp.cleanup();
});

describe("revocation of admins and removed hosts", () => {
  it("cert revoke --admin NAME: the admin's next call is refused", async () => {
    expect((await cli(carolDir, "hosts", "--json")).code).toBe(0);
    const r = await cli(controller.dataDir, "cert", "revoke", "--admin", "carol", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ admin: "carol", revoked: 1 });
    const refused = await cli(carolDir, "hosts", "--json");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/revoked/);
    const unknown = await cli(controller.dataDir, "cert", "revoke", "--admin", "nobody");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no certificate was ever issued to admin "nobody"/);
  });

  it("host remove revokes the host: its agent is refused with the certificate it holds", async () => {
    const state = join(tmp.path, "agent-h1");
    const t = await createToken(controller, ["--host", "h1"]);
    let agent = startSecureAgent(controller, "h1", state, t.token);
    await waitForSecureHost(controller, "h1", true);
    await agent.stop();
    await waitForSecureHost(controller, "h1", false);
    const r = await cli(controller.dataDir, "host", "remove", "h1", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ host: "h1", removed: true, revoked: 1, disconnected: false });
    expect((await secureHosts(controller)).map((h) => h.name)).not.toContain("h1");
    agent = startSecureAgent(controller, "h1", state);
    await waitFor("the agent to be refused", () => (/was revoked/.test(agent.stderr) ? true : undefined), 15_000, 100);
    expect((await secureHosts(controller)).map((h) => h.name)).not.toContain("h1");
    await agent.stop();
  });
});
