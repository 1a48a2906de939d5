import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { controllerOrder } from "../../agent/link/index.js";
import { freePort, runCli, spawnCli, stopAll, tempDir, waitFor } from "../harness/processes.js";
import { createToken, startSecureController, waitForSecureHost } from "../harness/secure-fleet.js";

/**
 * Enrolment with several controllers (mTLS, real processes): `agent install --controller
 * dead,live` and `agent --controller dead,live --token-file F` try each controller in turn,
 * so a dead first one does not stop them; the written config keeps the whole list.
 */
const tmp = tempDir("vft-e2e-replicas-tls-");
afterAll(async () => {
  await stopAll();
  tmp.cleanup();
});

/** A host name (with `prefix`) whose order over two controllers starts with the first: the dead one. */
function nameTryingFirstFirst(prefix: string): string {
  for (let i = 0; ; i++) if (controllerOrder(`${prefix}-${i}`, 2)[0] === 0) return `${prefix}-${i}`;
}

describe("enrolment with a dead controller first in --controller", () => {
  it("agent install enrols on the live one and writes the whole list; an agent enrols and connects likewise", async () => {
    const controller = await startSecureController(join(tmp.path, "controller"));
    const dead = `127.0.0.1:${await freePort()}`;
    const list = `${dead},${controller.address}`;
    const tokenFile = join(tmp.path, "token");
    writeFileSync(tokenFile, `${(await createToken(controller)).token}\n`, { mode: 0o600 });

    const installed = nameTryingFirstFirst(`vft-rinst${process.pid}`);
    const root = join(tmp.path, "root");
    const r = await runCli([
      "agent",
      "install",
      "--controller",
      list,
      "--token-file",
      tokenFile,
      "--name",
      installed,
      "--root",
      root,
      "--no-start",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`controllers ${list}`);
    expect(r.stdout).toContain("enrolled: certificate in");
    expect(parse(readFileSync(join(root, "etc/virtfleet/agent.yaml"), "utf8"))).toMatchObject({ controller: list });

    const name = nameTryingFirstFirst(`vft-ragent${process.pid}`);
    const agentToken = join(tmp.path, "agent-token");
    writeFileSync(agentToken, `${(await createToken(controller)).token}\n`, { mode: 0o600 });
    const agent = spawnCli([
      "agent",
      "--controller",
      list,
      "--name",
      name,
      "--state-dir",
      join(tmp.path, "agent"),
      "--token-file",
      agentToken,
      "--max-backoff",
      "1s",
    ]);
    await waitForSecureHost(controller, name, true);
    const connected = await waitFor("the agent's connection record", () =>
      agent.logs().find((l) => l.msg === "connected to controller"),
    );
    expect(connected.controller).toBe(controller.address);
    // it tried the dead one first, then moved on
    const down = agent.logs().find((l) => l.msg === "controller link down; will retry");
    expect(down).toMatchObject({ controller: dead, next: controller.address });
    expect(await agent.stop("SIGTERM")).toBe(0);
  });
});
