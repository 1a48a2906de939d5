import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanJson } from "../../controller/plan/index.js";
import type { RolloutStatusJson } from "../../controller/rollout/index.js";
import { startController, type StartedController } from "../harness/fleet.js";
import { freePort, runCli, stopAll, tempDir, waitFor } from "../harness/processes.js";
import { auditNetworkPolicyYaml } from "../harness/specs.js";

const data = tempDir("vft-rollout-cli-e2e-");
const policiesDir = join(data.path, "policies");
const policyName = `vft-e2e-ro-${process.pid}`;
let controller: StartedController;

const POLICY = auditNetworkPolicyYaml(policyName, "vft-e2e-ronet", "vftrobr0");

const cli = (...args: string[]) => runCli([...args, "--controller", controller.address, "--insecure"]);
const UNKNOWN = /^virtfleet: unknown policy "nosuch"; see `virtfleet policies`$/m;
const ENDED = ["succeeded", "failed", "rolledback", "aborted"];

beforeAll(async () => {
  mkdirSync(policiesDir, { recursive: true });
  writeFileSync(join(policiesDir, "ro.yaml"), POLICY);
  controller = await startController({ dataDir: join(data.path, "controller"), policiesDir });
});
afterAll(async () => {
  await stopAll();
  data.cleanup();
});

describe("rollout and plan commands against a real controller", () => {
  it("rollout status of an unknown policy exits 2 with a clear message", async () => {
    const r = await cli("rollout", "status", "nosuch");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(UNKNOWN);
  });

  it("plan of an unknown policy exits 2", async () => {
    const r = await cli("plan", "nosuch", "--timeout", "2s");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(UNKNOWN);
  });

  it("rollout pause of an unknown policy exits 2, also with --json (nothing on stdout)", async () => {
    const r = await cli("rollout", "pause", "nosuch", "--json");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(UNKNOWN);
  });

  it("a bad policy name exits 2 without asking the controller", async () => {
    const r = await runCli([
      "rollout",
      "status",
      "Not_A_Policy",
      "--controller",
      `127.0.0.1:${await freePort()}`,
      "--insecure",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid policy name "Not_A_Policy"/);
  });

  it("an unreachable controller exits 1 saying so", async () => {
    const r = await runCli([
      "rollout",
      "status",
      policyName,
      "--controller",
      `127.0.0.1:${await freePort()}`,
      "--insecure",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the controller/);
  });

  let ended: RolloutStatusJson;

  it("rollout status --json of a known policy without connected hosts is the spec's document", async () => {
    const doc = await waitFor(
      `a rollout of ${policyName}`,
      async () => {
        const r = await cli("rollout", "status", policyName, "--json");
        if (r.code !== 0) throw new Error(`rollout status --json exited ${r.code}: ${r.stderr}`);
        return (JSON.parse(r.stdout) as RolloutStatusJson | null) ?? undefined;
      },
      15_000,
      250,
    );
    expect(doc.policy).toBe(policyName);
    expect(typeof doc.revision).toBe("string");
    expect(["pending", "running", "paused", "succeeded", "failed", "rolledback", "aborted"]).toContain(doc.state);
    expect(Array.isArray(doc.stages)).toBe(true);
    expect(doc.stages.length).toBeGreaterThan(0);
    for (const s of doc.stages) {
      expect(typeof s.index).toBe("number");
      expect(Array.isArray(s.hosts)).toBe(true);
      expect(typeof s.state).toBe("string");
    }
    expect(doc.failedHosts).toEqual([]);
    // With no hosts to wait for, the rollout ends on its own.
    ended = await waitFor(
      "the rollout to end",
      async () => {
        const d = JSON.parse((await cli("rollout", "status", policyName, "--json")).stdout) as RolloutStatusJson;
        return ENDED.includes(d.state) && !d.rollingBack ? d : undefined;
      },
      30_000,
      250,
    );
    const human = await cli("rollout", "status", policyName);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`Rollout of ${policyName}:`);
    expect(human.stdout).toContain(ended.state.toUpperCase());
  });

  it("rollout status --watch of an ended rollout returns at once: 0 when it succeeded", async () => {
    const r = await cli("rollout", "status", policyName, "--watch", "--json");
    expect(r.code).toBe(ended.state === "succeeded" ? 0 : 1);
    expect((JSON.parse(r.stdout.trim()) as RolloutStatusJson).state).toBe(ended.state);
  });

  it("rollout pause of a finished rollout exits 4 (refused) naming the state", async () => {
    const r = await cli("rollout", "pause", policyName, "--reason", "e2e");
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(ended.state);
    const j = await cli("rollout", "resume", policyName, "--json");
    expect(j.code).toBe(4);
    expect(j.stdout).toBe("");
  });

  it("plan of a policy without connected hosts succeeds: nobody answered, nothing would change", async () => {
    const r = await cli("plan", policyName, "--json", "--timeout", "2s");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as PlanJson;
    expect(plan.policy).toBe(policyName);
    expect(plan.summary.hostsChanging).toBe(0);
    expect(plan.hosts.every((h) => h.status !== "planned" || !h.wouldChange)).toBe(true);
    const human = await cli("plan", policyName, "--timeout", "2s");
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`Plan of ${policyName}:`);
  });
});
