/**
 * Issue 21 item 9: config drift that raises no libvirt event (`virsh setvcpus --config`,
 * `virsh setmaxmem --config`) is seen within 2 s — the agent watches libvirt's definition
 * files — and `virtfleet resync HOST|--all` makes a host re-check everything now.
 * Real controller, real agent, real libvirtd; the periodic re-check is set to 1 h so that
 * only the path under test can find the drift.
 */
import * as grpc from "@grpc/grpc-js";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { ControllerMessage__Output } from "../../generated/proto/fleet/v1/ControllerMessage.js";
import { fleetProto, type DriftJson } from "../../common/index.js";
import { startAgent, startController, waitForHost, type StartedController } from "../harness/fleet.js";
import { runCli, spawnCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import { cleanupPrefix, testPrefix, virsh, virshResult } from "../harness/virsh.js";

const prefix = testPrefix();
const guest = `${prefix}g1`;
const host = `${prefix}host`;
const dir = tempDir("vft-cfgdrift-");
const policies = join(dir.path, "policies");
let controller: StartedController;
let watch: Proc;
let agent: Proc;

const cli = (...args: string[]) => runCli([...args, "--controller", controller.address, "--insecure"]);

beforeAll(async () => {
  mkdirSync(policies, { recursive: true });
  writeFileSync(
    join(policies, "cfg.yaml"),
    stringify({
      apiVersion: "virtfleet/v1",
      kind: "Policy",
      metadata: { name: "cfg" },
      spec: { resources: { domains: [{ name: guest, vcpus: 2, memory: "64MiB", state: "running" }] } },
    }),
  );
  controller = await startController({ dataDir: join(dir.path, "controller"), policiesDir: policies });
  agent = startAgent({
    controller: controller.address,
    name: host,
    stateDir: join(dir.path, "agent"),
    extraArgs: ["--resync-interval", "1h", "--flap-threshold", "100", "--max-backoff", "1s"],
  });
  await waitForHost(controller.address, host, true);
  await waitFor(
    "the guest running",
    async () => ((await virshResult("domstate", guest)).stdout.trim() === "running" ? true : undefined),
    60_000,
    200,
  );
  watch = spawnCli(["drift", "watch", "--json", "--host", host, "--controller", controller.address, "--insecure"]);
  await waitFor("drift watch to start", () => (watch.stderr.includes("watching drift events") ? true : undefined));
}, 120_000);

afterAll(async () => {
  await stopAll();
  await cleanupPrefix(prefix);
  dir.cleanup();
});

/** Runs virsh, then waits for the drift event of `field` on drift watch; returns it and the ms since virsh returned. */
async function driftAfter(field: string, ...virshArgs: string[]): Promise<{ ev: DriftJson; ms: number }> {
  const before = watch.stdout.split("\n").length - 1;
  await virsh(...virshArgs);
  const t0 = Date.now();
  const line = await waitFor(
    `a ${field} drift event on drift watch`,
    () =>
      watch.stdout
        .split("\n")
        .slice(before)
        .find((l) => l.includes(guest) && l.includes(`"field":"${field}"`)),
    10_000,
    10,
  );
  return { ev: JSON.parse(line) as DriftJson, ms: Date.now() - t0 };
}

async function inactiveXml(): Promise<string> {
  return virsh("dumpxml", "--inactive", guest);
}

describe("config drift without a libvirt event", () => {
  it("virsh setvcpus --config is seen within 2 s (source event) and repaired", async () => {
    const { ev, ms } = await driftAfter("vcpus", "setvcpus", "--config", guest, "1");
    expect(ev).toMatchObject({ host, kind: "domain", name: guest, source: "event" });
    expect(ms).toBeLessThan(2_000);
    await waitFor(
      "the definition back to 2 vCPUs",
      async () =>
        /<vcpu[^>]*>2<\/vcpu>/.test(await inactiveXml()) && !/current=/.test(await inactiveXml()) ? true : undefined,
      10_000,
      100,
    );
  });

  it("virsh setmaxmem --config is seen within 2 s (source event)", async () => {
    const { ev, ms } = await driftAfter("memory", "setmaxmem", "--config", guest, "96M");
    expect(ev).toMatchObject({ host, kind: "domain", name: guest, source: "event" });
    expect(ms).toBeLessThan(2_000);
  });
});

describe("virtfleet resync", () => {
  const lastReportAt = async (): Promise<string> => {
    const r = await cli("host", host, "--json");
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout).lastReportAt as string;
  };

  it("an unknown host exits 2 naming it, and nothing is sent", async () => {
    const before = agent.stderr.length;
    const r = await cli("resync", host, `${prefix}nosuch`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${prefix}nosuch`);
    await new Promise((res) => setTimeout(res, 500));
    expect(agent.stderr.slice(before)).not.toMatch(/"action":"resync"/);
  });

  it("no target, or two kinds of target, exit 2", async () => {
    expect((await cli("resync")).code).toBe(2);
    expect((await cli("resync", host, "--all")).code).toBe(2);
  });

  it("resync HOST makes the agent re-check everything and report now", async () => {
    const first = await lastReportAt();
    const before = agent.stderr.length;
    const r = await cli("resync", host);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`resync sent to ${host}`);
    await waitFor("the agent to receive the command", () =>
      /"action":"resync"/.test(agent.stderr.slice(before)) ? true : undefined,
    );
    await waitFor("a new report", async () => ((await lastReportAt()) > first ? true : undefined), 10_000, 200);
  });

  it("resync --all and --selector reach the host (--json)", async () => {
    const all = await cli("resync", "--all", "--json");
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual({ sent: [host], notConnected: [] });
    const sel = await cli("resync", "--selector", `name=${host}`, "--json");
    expect(sel.code).toBe(0);
    expect(JSON.parse(sel.stdout)).toEqual({ sent: [host], notConnected: [] });
    const bad = await cli("resync", "--selector", "===");
    expect(bad.code).toBe(2);
  });

  it("a known host that is not connected is named, nothing is sent to it, and the command exits 1", async () => {
    // A host that enrolled (said Hello on the insecure controller) and went away.
    const gone = `${prefix}gone`;
    const client = new (fleetProto().AgentService)(controller.address, grpc.credentials.createInsecure());
    const call = client.Connect();
    const welcomed = new Promise<void>((resolve) =>
      call.on("data", (m: ControllerMessage__Output) => {
        if (m.body === "welcome") resolve();
      }),
    );
    call.on("error", () => undefined);
    call.write({
      seq: 1,
      ack: 0,
      hello: {
        hostName: gone,
        agentVersion: "0.0.1",
        factsJson: JSON.stringify({ schema: 1, hostname: gone }),
        factsFingerprint: "fp",
        lastControllerSeq: 0,
        startedAtMs: Date.now(),
        bundleRevision: "",
      },
    });
    await welcomed;
    call.end();
    client.close();
    await waitFor(
      `${gone} disconnected`,
      async () => {
        const r = await cli("hosts", "--json");
        return JSON.parse(r.stdout).some((h: any) => h.name === gone && !h.connected) ? true : undefined;
      },
      10_000,
      200,
    );

    const one = await cli("resync", gone);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain(`not connected, nothing sent: ${gone}`);
    const all = await cli("resync", "--all", "--json");
    expect(all.code).toBe(1);
    expect(JSON.parse(all.stdout)).toEqual({ sent: [host], notConnected: [gone] });
  });
});
