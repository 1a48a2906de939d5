import { statSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, stopAll, tempDir, waitFor } from "../harness/processes.js";
import { startSecureController, type SecureController } from "../harness/secure-fleet.js";

// Admin roles against a controller without --insecure: credentials made by `admin create`,
// a viewer that reads but cannot control a rollout, an operator that can, and the audit log
// naming who tried what.

const tmp = tempDir("vft-roles-");
let controller: SecureController;
const viewerDir = join(tmp.path, "alice");
const operatorDir = join(tmp.path, "bob");
const policy = `vft-roles-${process.pid}`;

const cli = (data: string, ...args: string[]) => runCli([...args, "--controller", controller.address, "--data", data]);

beforeAll(async () => {
  controller = await startSecureController(join(tmp.path, "controller"));
  // A policy with no hosts to target: its rollout exists (and ends) without any agent.
  writeFileSync(
    join(controller.dataDir, "policies", "p.yaml"),
    stringify({
      apiVersion: "virtfleet/v1",
      kind: "Policy",
      metadata: { name: policy },
      spec: { targets: { hosts: ["nobody-[1:2]"] }, resources: { domains: [] } },
    }),
  );
  for (const [name, role, out] of [
    ["alice", "viewer", viewerDir],
    ["bob", "operator", operatorDir],
  ] as const) {
    const r = await cli(controller.dataDir, "admin", "create", name, "--role", role, "--out", out);
    expect(r.code, r.stderr).toBe(0);
  }
  await waitFor(
    "the policy's rollout",
    async () =>
      (await cli(controller.dataDir, "rollout", "status", policy, "--json")).stdout.includes('"state"')
        ? true
        : undefined,
    15_000,
    250,
  );
});
afterAll(async () => {
  await stopAll();
  tmp.cleanup();
});

describe("admin roles", () => {
  it("admin create writes a private credential", () => {
    for (const f of ["key.pem", "cert.pem", "ca.pem"]) expect(statSync(join(viewerDir, f)).mode & 0o777).toBe(0o600);
  });

  it("a viewer reads but cannot pause a rollout or create tokens; an operator passes the role check", async () => {
    const hosts = await cli(viewerDir, "hosts", "--json");
    expect(hosts.code, hosts.stderr).toBe(0);
    const status = await cli(viewerDir, "rollout", "status", policy, "--json");
    expect(status.code, status.stderr).toBe(0);

    const pause = await cli(viewerDir, "rollout", "pause", policy);
    expect(pause.code).toBe(4);
    expect(pause.stderr).toMatch(/needs role operator; admin:alice has role viewer/);
    const token = await cli(viewerDir, "token", "create");
    expect(token.code).toBe(4);
    expect(token.stderr).toMatch(/needs role admin/);

    // The operator may act; the rollout has ended, so the controller refuses on its state (4), not the role.
    const opPause = await cli(operatorDir, "rollout", "pause", policy);
    expect(opPause.code).toBe(4);
    expect(opPause.stderr).not.toMatch(/needs role/);
    expect(opPause.stderr).toMatch(/succeeded/);
    const opToken = await cli(operatorDir, "token", "create");
    expect(opToken.code).toBe(4);
    expect(opToken.stderr).toMatch(/needs role admin; admin:bob has role operator/);
  });

  it("the audit log names the denied attempts and verifies", async () => {
    const r = await cli(controller.dataDir, "audit", "--json");
    expect(r.code, r.stderr).toBe(0);
    const records = JSON.parse(r.stdout) as {
      actor: string;
      action: string;
      target: string;
      detail?: unknown;
      detailJson?: string;
    }[];
    const text = JSON.stringify(records);
    expect(
      records.some((x) => x.actor === "admin:alice" && x.action.startsWith("rollout.pause") && x.target === policy),
    ).toBe(true);
    expect(records.some((x) => x.actor === "admin:alice" && x.action.startsWith("token.create"))).toBe(true);
    expect(records.some((x) => x.action.startsWith("admin.create") && x.target.includes("alice"))).toBe(true);
    expect(text).not.toMatch(/BEGIN (EC )?PRIVATE KEY/);
    const verify = await cli(controller.dataDir, "audit", "--verify");
    expect(verify.code, verify.stderr).toBe(0);
  });
});
