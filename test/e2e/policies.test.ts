import * as grpc from "@grpc/grpc-js";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControllerMessage__Output } from "../../generated/proto/fleet/v1/ControllerMessage.js";
import type { PolicyBundle__Output } from "../../generated/proto/fleet/v1/PolicyBundle.js";
import { fleetProto } from "../../common/index.js";
import { startController, type StartedController } from "../harness/fleet.js";
import { runCli, stopAll, tempDir, waitFor } from "../harness/processes.js";
import { auditNetworkPolicyYaml } from "../harness/specs.js";

const data = tempDir("vft-policies-e2e-");
const policiesDir = join(data.path, "policies");
const policyFile = join(policiesDir, "web.yaml");
const policyName = `vft-e2e-web-${process.pid}`;
const hostName = `vft-e2e-host-${process.pid}`;
let controller: StartedController;

const policy = (bridge: string, mode = "isolated") => auditNetworkPolicyYaml(policyName, "vft-e2e-net", bridge, mode);

interface PoliciesView {
  policies: {
    name: string;
    revision: string;
    generation: number;
    mode: string;
    file: string;
    history: { generation: number }[];
  }[];
  errors: string[];
  loadedAt: string | null;
  policiesDir: string;
  hostProblems: { host: string; problems: string[] }[];
}

async function policiesJson(...extra: string[]): Promise<PoliciesView> {
  const r = await runCli(["policies", "--json", "--controller", controller.address, "--insecure", ...extra]);
  if (r.code !== 0) throw new Error(`policies --json exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as PoliciesView;
}

const mine = (v: PoliciesView) => v.policies.find((p) => p.name === policyName);

/** A protocol-level agent: one Connect stream that says Hello with `bundleRevision` and records what comes back. */
function agentStream(bundleRevision: string) {
  const client = new (fleetProto().AgentService)(controller.address, grpc.credentials.createInsecure());
  const received: ControllerMessage__Output[] = [];
  const call = client.Connect();
  call.on("data", (m: ControllerMessage__Output) => received.push(m));
  call.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => call.on("status", () => resolve()));
  call.write({
    seq: 1,
    ack: 0,
    hello: {
      hostName,
      agentVersion: "0.0.1",
      factsJson: JSON.stringify({ schema: 1, hostname: hostName }),
      factsFingerprint: "fp",
      lastControllerSeq: 0,
      startedAtMs: Date.now(),
      bundleRevision,
    },
  });
  return {
    received,
    bundles: () => received.filter((m) => m.body === "bundle").map((m) => m.bundle as PolicyBundle__Output),
    close: async () => {
      call.end();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2_000))]);
      client.close();
    },
  };
}

beforeAll(async () => {
  mkdirSync(policiesDir, { recursive: true });
  writeFileSync(policyFile, policy("vftbr1"));
  // The raw streams below do not answer plan commands: no plan stage, so rollouts send at once.
  controller = await startController({
    dataDir: join(data.path, "controller"),
    policiesDir,
    extraArgs: ["--plan-timeout", "0s"],
  });
});
afterAll(async () => {
  await stopAll();
  data.cleanup();
});

describe("the controller's policies folder", () => {
  it("refuses to start without its policies folder, naming it", async () => {
    const missing = join(data.path, "no-such-folder");
    const r = await runCli([
      "controller",
      "--listen",
      "127.0.0.1:0",
      "--data",
      join(data.path, "c2"),
      "--policies",
      missing,
      "--insecure",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).toMatch(/--policies/);
  });

  it("loads the folder at start: generation 1", async () => {
    const view = await policiesJson();
    expect(view.policiesDir).toBe(policiesDir);
    expect(view.errors).toEqual([]);
    expect(mine(view)).toMatchObject({ generation: 1, mode: "audit", file: policyFile });
  });

  it("makes generation 2 when the file is edited", async () => {
    const before = mine(await policiesJson())!;
    writeFileSync(policyFile, policy("vftbr2"));
    const after = await waitFor(
      "generation 2",
      async () => {
        const p = mine(await policiesJson());
        return p && p.generation === 2 ? p : undefined;
      },
      5_000,
      200,
    );
    expect(after.revision).not.toBe(before.revision);
    expect(mine(await policiesJson("--history", "5"))!.history.map((h) => h.generation)).toEqual([1]);
  });

  it("rejects an invalid edit with file:line:col and keeps revision 2 in force", async () => {
    const kept = mine(await policiesJson())!;
    writeFileSync(policyFile, policy("vftbr3", "natt"));
    const view = await waitFor(
      "the rejected change",
      async () => {
        const v = await policiesJson();
        return v.errors.length > 0 ? v : undefined;
      },
      5_000,
      200,
    );
    expect(view.errors[0]).toMatch(
      new RegExp(
        `^${policyFile.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:10:\\d+: spec\\.resources\\.networks\\[0\\]\\.mode: `,
      ),
    );
    expect(mine(view)).toMatchObject({ generation: 2, revision: kept.revision });
    const human = await runCli(["policies", "--controller", controller.address, "--insecure"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/NAME\s+REVISION\s+GEN\s+MODE\s+HOSTS\s+ROLLOUT\s+FILE/);
    expect(human.stdout).toContain("last change rejected");
    expect(human.stdout).toContain(`${kept.revision.slice(0, 12)} (gen 2) stays in force`);
    const logged = controller.proc
      .logs()
      .filter((l) => l.level === 40 && typeof l.msg === "string" && l.msg.startsWith(`${policyFile}:10:`));
    expect(logged.length).toBeGreaterThan(0);
  });
});

describe("bundles on the agent stream", () => {
  it("sends a host without a bundle its resolved bundle, and nothing when it already holds it", async () => {
    const first = agentStream("");
    const bundle = await waitFor("a bundle", () => first.bundles()[0], 5_000, 50);
    expect(first.received[0].body).toBe("welcome");
    expect(Number(bundle.generation)).toBe(1);
    const entry = bundle.policies.find((p) => p.name === policyName)!;
    expect(entry).toMatchObject({ mode: "audit", revision: mine(await policiesJson())!.revision });
    expect(JSON.parse(entry.resolvedJson)).toMatchObject({
      name: policyName,
      resources: { networks: [{ name: "vft-e2e-net", bridge: "vftbr2" }] },
    });
    await first.close();

    const again = agentStream(bundle.revision);
    await waitFor("welcome", () => again.received.find((m) => m.body === "welcome"), 5_000, 50);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(again.bundles()).toEqual([]);

    writeFileSync(policyFile, policy("vftbr4"));
    const next = await waitFor("a new bundle after the policy changed", () => again.bundles()[0], 5_000, 50);
    expect(Number(next.generation)).toBe(2);
    expect(next.revision).not.toBe(bundle.revision);
    expect(
      JSON.parse(next.policies.find((p) => p.name === policyName)!.resolvedJson).resources.networks[0].bridge,
    ).toBe("vftbr4");
    await again.close();
  });

  it("leaves a policy that cannot resolve for a host out of its bundle and lists why", async () => {
    // onFailure pause: a revision that cannot resolve for its canary fails it; paused, the
    // canary keeps the revision's bundle (and its problem) instead of rolling back.
    const rackPolicy = policy("br-${host.labels.rack}")
      .replace(policyName, `${policyName}-rack`)
      .replace("vft-e2e-net", "vft-e2e-rack")
      .replace("  mode: audit", "  mode: audit\n  rollout: {onFailure: pause}");
    // Connected: a new policy rolls out, so an offline host would only get it when its stage starts.
    const stream = agentStream("");
    await waitFor("welcome", () => stream.received.find((m) => m.body === "welcome"), 5_000, 50);
    writeFileSync(join(policiesDir, "rack.yaml"), rackPolicy);
    const view = await waitFor(
      "host problems",
      async () => {
        const v = await policiesJson();
        return v.hostProblems.find((h) => h.host === hostName);
      },
      5_000,
      200,
    );
    const status = await waitFor(
      "the rollout to pause on the canary",
      async () => {
        const r = await runCli([
          "rollout",
          "status",
          `${policyName}-rack`,
          "--json",
          "--controller",
          controller.address,
          "--insecure",
        ]);
        const j = JSON.parse(r.stdout) as {
          state: string;
          failedHosts: string[];
          hosts: { name: string; reason?: string }[];
        };
        return j.state === "paused" ? j : undefined;
      },
      5_000,
      200,
    );
    await stream.close();
    expect(status.failedHosts).toEqual([hostName]);
    expect(status.hosts[0]!.reason).toMatch(/left out of the host's bundle: .*rack/);
    expect(view.problems[0]).toMatch(/rack\.yaml:\d+:\d+: .*rack/);
    const human = await runCli(["policies", "--controller", controller.address, "--insecure"]);
    expect(human.stdout).toContain(`host ${hostName}: left out of its bundle`);
  });
});
