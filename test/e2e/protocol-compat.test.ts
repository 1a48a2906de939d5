import Database from "better-sqlite3";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { DriftJson } from "../../common/index.js";
import { PROTOCOL_VERSION } from "../../common/wire/index.js";
import { startAgent, startController, waitForHost, type StartedController } from "../harness/fleet.js";
import { buildPreviousRelease, PROTOCOL_0_COMMIT, type PreviousBuild } from "../harness/previous-release.js";
import { runCli, spawnBuiltCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import { cleanupPrefix, testPrefix, virsh, virshResult } from "../harness/virsh.js";

// Issue 20 item 4: protocol version 1 (typed field changes and drift values) keeps accepting
// version 0 for one release. An agent built from the previous release (PROTOCOL_0_COMMIT, its
// own proto files and code) runs against this controller; then the outbox that agent wrote
// while the controller was away is delivered by this release's agent, which speaks version 1.
const prefix = testPrefix();
const guest = `${prefix}g1`;
const host = `${prefix}host`;
const dir = tempDir("vft-compat-");
const policies = join(dir.path, "policies");
const controllerData = join(dir.path, "controller");
const agentState = join(dir.path, "agent");
let previous: PreviousBuild | undefined;
let controller: StartedController;
let oldAgent: Proc;
let newAgent: Proc;

const AGENT_ARGS = ["--insecure", "--max-backoff", "1s", "--resync-interval", "1m", "--flap-threshold", "100"];

function writePolicy(): void {
  mkdirSync(policies, { recursive: true });
  const doc = {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "compat" },
    spec: {
      mode: "enforce",
      resources: { domains: [{ name: guest, vcpus: 1, memory: "64MiB", autostart: true, state: "running" }] },
    },
  };
  writeFileSync(join(policies, "compat.yaml"), stringify(doc));
}

async function drift(): Promise<DriftJson[]> {
  const r = await runCli(["drift", "--json", "--host", host, "--controller", controller.address, "--insecure"]);
  if (r.code !== 0) throw new Error(`drift exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as DriftJson[];
}

async function domstate(): Promise<string> {
  return (await virshResult("domstate", guest)).stdout.trim();
}

const running = () =>
  waitFor("the guest to run", async () => ((await domstate()) === "running" ? true : undefined), 30_000, 200);

/** The protocol the controller logged for this host's newest connection. */
function connectedProtocol(): number | undefined {
  const line = controller.proc
    .logs()
    .filter((l) => (l.msg === "host connected" || l.msg === "new host enrolled") && l.host === host)
    .at(-1);
  return line?.protocol as number | undefined;
}

interface OutboxRow {
  event_seq: number;
  type: string;
  payload_json: string;
  drift_id: string | null;
  resolved: number;
}

/** The agent's pending outbox rows, read from its state database (read-only, beside the agent). */
function outboxRows(): OutboxRow[] {
  const file = join(agentState, "agent.db");
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare("SELECT event_seq, type, payload_json, drift_id, resolved FROM outbox ORDER BY event_seq")
      .all() as OutboxRow[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  previous = buildPreviousRelease();
  writePolicy();
  controller = await startController({ dataDir: controllerData, policiesDir: policies });
}, 120_000);

afterAll(async () => {
  await stopAll();
  await cleanupPrefix(prefix);
  previous?.cleanup();
  dir.cleanup();
});

describe(`an agent of the previous protocol (${PROTOCOL_0_COMMIT}, version 0) and the new controller`, () => {
  it("connects at protocol 0, converges, and its drift event is stored with its values", async () => {
    oldAgent = spawnBuiltCli(previous!.cli, [
      "agent",
      "--controller",
      controller.address,
      "--name",
      host,
      "--state-dir",
      agentState,
      ...AGENT_ARGS,
    ]);
    await waitForHost(controller.address, host, true);
    expect(connectedProtocol()).toBe(0);
    await running();
    await virsh("destroy", guest);
    const event = await waitFor(
      "the old agent's repaired drift event at the controller",
      async () =>
        (await drift()).find(
          (d) =>
            d.name === guest &&
            d.remediation === "repaired" &&
            d.resolvedAt &&
            d.fields.some((f) => f.field === "state" && f.actual === "shutoff"),
        ),
      30_000,
      200,
    );
    // DriftField.desired_json/actual_json (protocol 0) read into values, as before
    expect(event.fields).toContainEqual({ field: "state", desired: "running", actual: "shutoff" });
    await running();
    // the old agent's report was stored too: the host's resource status names the guest
    const h = await runCli(["host", host, "--json", "--controller", controller.address, "--insecure"]);
    expect(h.code, h.stderr).toBe(0);
    const resources = (JSON.parse(h.stdout) as { resources: { kind: string; name: string; changes: unknown[] }[] })
      .resources;
    expect(resources.find((r) => r.kind === "domain" && r.name === guest)).toBeDefined();
  }, 120_000);

  it("outbox rows the old agent wrote while the controller was away are delivered by the new agent at the current protocol", async () => {
    const port = controller.port;
    await controller.proc.stop("SIGTERM");
    const before = new Set((await virsh("list", "--all", "--name")).split("\n"));
    expect(before.has(guest)).toBe(true);
    await virsh("destroy", guest);
    // the old agent repairs on its own and queues the drift event in its outbox (old shape)
    const rows = await waitFor(
      "the old agent to queue a resolved drift event",
      () => {
        const r = outboxRows().filter((x) => x.type === "drift" && x.resolved === 1);
        return r.length > 0 ? r : undefined;
      },
      30_000,
      200,
    );
    await running();
    await oldAgent.stop("SIGTERM");
    const queued = outboxRows().filter((x) => x.type === "drift");
    expect(queued.length).toBeGreaterThan(0);
    // written in the previous release's shape: values as JSON text
    const payload = JSON.parse(rows[0]!.payload_json) as { id: string; fields: Record<string, unknown>[] };
    expect(payload.fields).toContainEqual({ field: "state", desiredJson: '"running"', actualJson: '"shutoff"' });
    const ids = new Set(queued.map((x) => x.drift_id));

    controller = await startController({ dataDir: controllerData, policiesDir: policies, port });
    newAgent = startAgent({
      controller: controller.address,
      name: host,
      stateDir: agentState,
      extraArgs: AGENT_ARGS.slice(1),
    });
    await waitForHost(controller.address, host, true);
    expect(connectedProtocol()).toBe(PROTOCOL_VERSION);
    expect(newAgent.logs().find((l) => l.msg === "connected to controller")?.protocol).toBe(PROTOCOL_VERSION);
    const delivered = await waitFor(
      "the queued drift event stored at the controller",
      async () => (await drift()).find((d) => ids.has(d.id) && d.resolvedAt),
      30_000,
      200,
    );
    expect(delivered.id).toBe(payload.id);
    expect(delivered.fields).toContainEqual({ field: "state", desired: "running", actual: "shutoff" });
    await waitFor("the outbox to be acknowledged", () => (outboxRows().length === 0 ? true : undefined), 15_000, 200);
  }, 120_000);

  it("this release's agent against the previous release's controller speaks protocol 0", async () => {
    await newAgent.stop("SIGTERM");
    await controller.proc.stop("SIGTERM");
    const old = (args: string[]) => spawnBuiltCli(previous!.cli, args);
    const oldController = old([
      "controller",
      "--listen",
      "127.0.0.1:0",
      "--data",
      join(dir.path, "old-controller"),
      "--insecure",
      "--policies",
      policies,
    ]);
    const address = await waitFor(
      "the previous release's controller to listen",
      () => {
        if (!oldController.running) throw new Error(`controller exited: ${oldController.stderr}`);
        return /listening on (\S+)/.exec(oldController.stdout)?.[1];
      },
      15_000,
      50,
    );
    const oldCli = async (args: string[]) => {
      const p = old([...args, "--controller", address, "--insecure"]);
      await p.exited;
      return p;
    };
    const agent = startAgent({
      controller: address,
      name: host,
      stateDir: join(dir.path, "agent-2"),
      extraArgs: AGENT_ARGS.slice(1),
    });
    await waitFor(
      "the host connected to the previous release's controller",
      async () => {
        const p = await oldCli(["hosts", "--json"]);
        const hosts = JSON.parse(p.stdout || "[]") as { name: string; connected: boolean }[];
        return hosts.find((h) => h.name === host && h.connected) ? true : undefined;
      },
      20_000,
      200,
    );
    expect(agent.logs().find((l) => l.msg === "connected to controller")?.protocol).toBe(0);
    await running();
    await virsh("destroy", guest);
    const event = await waitFor(
      "the new agent's drift event at the previous release's controller",
      async () => {
        const p = await oldCli(["drift", "--json", "--host", host]);
        return (JSON.parse(p.stdout || "[]") as DriftJson[]).find(
          (d) => d.resolvedAt && d.fields.some((f) => f.field === "state" && f.actual === "shutoff"),
        );
      },
      30_000,
      200,
    );
    // the old controller read DriftField.desired_json/actual_json: the agent fell back to protocol 0
    expect(event.fields).toContainEqual({ field: "state", desired: "running", actual: "shutoff" });
    await running();
  }, 120_000);
});
