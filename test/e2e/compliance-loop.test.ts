import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { DriftJson } from "../../common/index.js";
import { runCli, spawnCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import { startAgent, startController, waitForHost, type StartedController } from "../harness/fleet.js";
import { cleanupPrefix, testPrefix, virsh, virshResult } from "../harness/virsh.js";

// The whole loop with real processes and real libvirt: a policy in the controller's folder
// reaches the agent, is converged, and drift made with virsh is repaired and reported.
const prefix = testPrefix();
const guest = `${prefix}g1`;
const host = `${prefix}host`;
const dir = tempDir("vft-loop-");
const policies = join(dir.path, "policies");
let controller: StartedController;
let agent: Proc;

function writePolicy(mode: "enforce" | "audit", extra: Record<string, unknown> = {}): void {
  mkdirSync(policies, { recursive: true });
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "loop" },
    spec: {
      mode,
      resources: { domains: [{ name: guest, vcpus: 1, memory: "64MiB", autostart: true, state: "running", ...extra }] },
    },
  };
  writeFileSync(join(policies, "loop.yaml"), stringify(doc));
}

async function drift(): Promise<DriftJson[]> {
  const r = await runCli(["drift", "--json", "--host", host, "--controller", controller.address, "--insecure"]);
  if (r.code !== 0) throw new Error(`drift exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as DriftJson[];
}

async function domstate(): Promise<string> {
  return (await virshResult("domstate", guest)).stdout.trim();
}

const controllerArgs = () => ["--policies", policies];
// The flap guard is tested on its own at the end, with a fresh agent and a low threshold.
const agentArgs = ["--resync-interval", "1m", "--flap-threshold", "100", "--flap-window", "10m", "--max-backoff", "1s"];

beforeAll(async () => {
  writePolicy("enforce");
  controller = await startController({ dataDir: join(dir.path, "controller"), extraArgs: controllerArgs() });
  agent = startAgent({
    controller: controller.address,
    name: host,
    stateDir: join(dir.path, "agent"),
    extraArgs: agentArgs,
  });
  await waitForHost(controller.address, host, true);
});

afterAll(async () => {
  await stopAll();
  await cleanupPrefix(prefix);
  dir.cleanup();
});

describe("continuous compliance, end to end", () => {
  it("a policy in the controller's folder reaches the agent and is converged", async () => {
    await waitFor(
      "the guest to be defined and running",
      async () => ((await domstate()) === "running" ? true : undefined),
      30_000,
      200,
    );
    expect(await virsh("dominfo", guest)).toMatch(/Autostart:\s+enable/);
  });

  it("virsh destroy: a repaired drift event reaches drift watch within 1 s and the guest runs again", async () => {
    const watch = spawnCli([
      "drift",
      "watch",
      "--json",
      "--host",
      host,
      "--controller",
      controller.address,
      "--insecure",
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    let ev: DriftJson;
    let seenMs: number;
    for (let attempt = 1; ; attempt++) {
      const seenBefore = watch.stdout.split("\n").length - 1;
      // virsh destroy returns when QEMU is gone (1-2 s on this nested host): the drift exists from then.
      await virsh("destroy", guest);
      const t0 = Date.now();
      const line = await waitFor(
        "the drift event on drift watch",
        () =>
          watch.stdout
            .split("\n")
            .slice(seenBefore)
            .find((l) => l.includes(guest) && l.includes('"repaired"')),
        10_000,
        10,
      );
      seenMs = Date.now() - t0;
      ev = JSON.parse(line) as DriftJson;
      // The periodic re-check runs at wall-clock slots (here every minute): when one falls inside
      // the destroy, it finds the drift before the event path under test does. Try again then.
      if (ev.source !== "resync" || attempt === 3) break;
      await waitFor(
        "the guest running again",
        async () => ((await domstate()) === "running" ? true : undefined),
        10_000,
        100,
      );
    }
    await watch.stop();
    expect(ev).toMatchObject({ host, kind: "domain", name: guest, source: "event", remediation: "repaired" });
    expect(ev.fields.some((f) => f.field === "state")).toBe(true);
    expect(seenMs).toBeLessThan(1_000);
    await waitFor(
      "the guest running again",
      async () => ((await domstate()) === "running" ? true : undefined),
      10_000,
      100,
    );
  });

  it("virsh autostart --disable is detected (no libvirt event exists for it) and repaired", async () => {
    const before = (await drift()).length;
    await virsh("autostart", "--disable", guest);
    const ev = await waitFor(
      "an autostart drift event",
      async () =>
        (await drift())
          .slice(0, Math.max(1, (await drift()).length - before))
          .find((e) => e.fields.some((f) => f.field === "autostart")),
      10_000,
      250,
    );
    expect(ev.remediation).toBe("repaired");
    expect(await virsh("dominfo", guest)).toMatch(/Autostart:\s+enable/);
  });

  it("an invalid edit keeps the previous revision in force and reports the error", async () => {
    writeFileSync(
      join(policies, "loop.yaml"),
      "apiVersion: virtfleet/v1\nkind: Policy\nmetadata: {name: loop}\nspec:\n  resources:\n    domains:\n      - name: x\n        vcpuz: 1\n",
    );
    const r = await waitFor(
      "the rejected change to show",
      async () => {
        const p = await runCli(["policies", "--json", "--controller", controller.address, "--insecure"]);
        const j = JSON.parse(p.stdout);
        return j.errors.length > 0 ? j : undefined;
      },
      10_000,
      250,
    );
    expect(r.errors.join("\n")).toMatch(/loop\.yaml:\d+:\d+: .*vcpuz/);
    expect(r.policies.map((p: { name: string }) => p.name)).toContain("loop");
    writePolicy("enforce");
  });

  it("audit mode: the guest stays off and the event says reported", async () => {
    writePolicy("audit");
    await new Promise((r) => setTimeout(r, 2_000));
    await virsh("destroy", guest);
    const ev = await waitFor(
      "a reported drift event",
      async () => (await drift()).find((e) => e.name === guest && e.remediation === "reported"),
      10_000,
      250,
    );
    expect(ev.fields.some((f) => f.field === "state")).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await domstate()).toBe("shut off");
    writePolicy("enforce");
    await waitFor(
      "enforce mode to start the guest again",
      async () => ((await domstate()) === "running" ? true : undefined),
      15_000,
      200,
    );
  });

  it("controller down: the agent repairs locally; the event appears exactly once after the controller returns", async () => {
    await controller.proc.stop("SIGTERM");
    const t0 = Date.now();
    await virsh("destroy", guest);
    await waitFor("a local repair", async () => ((await domstate()) === "running" ? true : undefined), 10_000, 100);
    // The agent restarted while the controller is down still enforces its cached bundle.
    await agent.stop("SIGTERM");
    agent = startAgent({
      controller: controller.address,
      name: host,
      stateDir: join(dir.path, "agent"),
      extraArgs: agentArgs,
    });
    await new Promise((r) => setTimeout(r, 1_500));
    await virsh("destroy", guest);
    await waitFor(
      "a repair by the restarted agent",
      async () => ((await domstate()) === "running" ? true : undefined),
      15_000,
      100,
    );

    controller = await startController({
      dataDir: join(dir.path, "controller"),
      port: controller.port,
      extraArgs: controllerArgs(),
    });
    await waitForHost(controller.address, host, true);
    const events = await waitFor(
      "both offline events at the controller",
      async () => {
        const offline = (await drift()).filter(
          (e) => e.name === guest && Date.parse(e.detectedAt) >= t0 && e.remediation === "repaired",
        );
        return offline.length >= 2 ? offline : undefined;
      },
      15_000,
      300,
    );
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    await new Promise((r) => setTimeout(r, 1_500));
    const again = (await drift()).filter(
      (e) => e.name === guest && Date.parse(e.detectedAt) >= t0 && e.remediation === "repaired",
    );
    expect(again.length).toBe(events.length);
  });

  it("compliance --json shows the host compliant with the policy's observed revision", async () => {
    const r = await runCli(["compliance", "--json", "--controller", controller.address, "--insecure"]);
    const j = JSON.parse(r.stdout);
    const h = j.hosts.find((x: { name: string }) => x.name === host);
    expect(h.policies[0]).toMatchObject({ name: "loop", status: "compliant" });
    expect(h.policies[0].observedRevision).toBe(h.policies[0].revision);
    expect(j.fleet.hosts).toBeGreaterThanOrEqual(1);
  });
  it("the flap guard engages on a guest destroyed again and again", async () => {
    // Repairs are counted per resource and survive agent restarts; with a threshold of 2
    // the guard engages within at most three more destroys.
    await agent.stop("SIGTERM");
    agent = startAgent({
      controller: controller.address,
      name: host,
      stateDir: join(dir.path, "agent"),
      extraArgs: ["--flap-threshold", "2", "--flap-window", "10m", "--max-backoff", "1s"],
    });
    await waitForHost(controller.address, host, true);
    const suppressed = async () => (await drift()).find((e) => e.name === guest && e.remediation === "suppressed");
    for (let i = 0; i < 3 && !(await suppressed()); i++) {
      await waitFor("the guest running", async () => ((await domstate()) === "running" ? true : undefined), 10_000, 50);
      await virsh("destroy", guest);
      await new Promise((r) => setTimeout(r, 500));
    }
    const ev = await waitFor("a suppressed event", suppressed, 15_000, 250);
    expect(ev.kind).toBe("domain");
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await domstate()).toBe("shut off");
    const ack = await runCli([
      "drift",
      "ack",
      host,
      `domain/${guest}`,
      "--controller",
      controller.address,
      "--insecure",
    ]);
    expect(ack.code).toBe(0);
    await waitFor(
      "repair after acknowledgement",
      async () => ((await domstate()) === "running" ? true : undefined),
      15_000,
      200,
    );
  });
});
