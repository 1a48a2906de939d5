import * as grpc from "@grpc/grpc-js";
import { createServer, type Server } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentMessage } from "../../generated/proto/fleet/v1/AgentMessage.js";
import type { ControllerMessage__Output } from "../../generated/proto/fleet/v1/ControllerMessage.js";
import type { DriftEvent } from "../../generated/proto/fleet/v1/DriftEvent.js";
import type { Report } from "../../generated/proto/fleet/v1/Report.js";
import { fleetProto } from "../../common/index.js";
import { hostsJson, startController, type StartedController } from "../harness/fleet.js";
import { runCli, spawnCli, stopAll, tempDir, waitFor } from "../harness/processes.js";

const data = tempDir("vft-drift-e2e-");
const policiesDir = join(data.path, "policies");
const tag = `${process.pid}-${Date.now().toString(36)}`;
const policyName = `vft-drift-${tag}`;
const hostA = `vft-da-${tag}`;
const hostB = `vft-db-${tag}`;
const hostC = `vft-dc-${tag}`;
let controller: StartedController;

/** Webhook receiver on loopback: answers 500 to the very first request, 200 afterwards. */
const hooks: { headers: Record<string, string | string[] | undefined>; body: any; status: number }[] = [];
let hookServer: Server;
let hookUrl = "";

/** A protocol-level agent: one Connect stream; records what the controller sends. */
class FakeAgent {
  readonly received: ControllerMessage__Output[] = [];
  private readonly client = new (fleetProto().AgentService)(controller.address, grpc.credentials.createInsecure());
  private readonly call = this.client.Connect();
  private seq = 0;
  readonly status: Promise<grpc.StatusObject>;

  constructor(readonly host: string) {
    this.call.on("data", (m: ControllerMessage__Output) => this.received.push(m));
    this.call.on("error", () => undefined);
    this.status = new Promise((resolve) => this.call.on("status", resolve));
    this.send({
      hello: {
        hostName: host,
        agentVersion: "0.0.1",
        factsJson: JSON.stringify({ schema: 1, hostname: host }),
        factsFingerprint: "fp",
        lastControllerSeq: 0,
        startedAtMs: Date.now(),
        bundleRevision: "",
      },
    });
  }

  send(body: Omit<AgentMessage, "seq" | "ack">): void {
    this.call.write({ seq: ++this.seq, ack: 0, ...body });
  }

  welcome() {
    return waitFor(
      `welcome for ${this.host}`,
      () => this.received.find((m) => m.body === "welcome")?.welcome,
      10_000,
      20,
    );
  }

  bundle() {
    return waitFor(`bundle for ${this.host}`, () => this.received.find((m) => m.body === "bundle")?.bundle, 10_000, 20);
  }

  /** Resolves with the first EventsAck at or above `seq` received after `from` messages. */
  ackedUpTo(seq: number, from = 0) {
    return waitFor(
      `events ack ${seq} for ${this.host}`,
      () =>
        this.received.slice(from).find((m) => m.body === "eventsAck" && m.eventsAck!.upToEventSeq >= seq)?.eventsAck,
      10_000,
      10,
    );
  }

  report(r: Partial<Report>): void {
    this.send({
      report: {
        generation: 0,
        bundleRevision: "",
        trigger: "bundle",
        startedAtMs: Date.now(),
        durationMs: 5,
        dryRun: false,
        resources: [],
        ...r,
      },
    });
  }

  drift(d: Partial<DriftEvent>): void {
    this.send({
      drift: {
        policy: policyName,
        kind: "network",
        name: "vft-drift-net",
        fields: [{ field: "active", desiredJson: "true", actualJson: "false" }],
        detectedAtMs: Date.now(),
        source: "event",
        remediation: "reported",
        resolvedAtMs: 0,
        classification: "corrective",
        detail: "",
        ...d,
      },
    });
  }

  async close(): Promise<void> {
    this.call.end();
    await Promise.race([this.status, new Promise((r) => setTimeout(r, 2_000))]);
    this.client.close();
  }
}

const cli = (...args: string[]) => runCli([...args, "--controller", controller.address, "--insecure"]);

async function driftJson(...extra: string[]): Promise<any[]> {
  const r = await cli("drift", "--json", ...extra);
  if (r.code !== 0) throw new Error(`drift --json exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as any[];
}

let a: FakeAgent;
let generation = 0;
let bundleRevision = "";

beforeAll(async () => {
  hookServer = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const status = hooks.length === 0 ? 500 : 200;
      hooks.push({ headers: req.headers, body: JSON.parse(body), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as { port: number }).port}/hook?token=s3cret-${tag}`;
  mkdirSync(policiesDir, { recursive: true });
  writeFileSync(
    join(policiesDir, "net.yaml"),
    [
      "apiVersion: virtfleet/v1",
      "kind: Policy",
      "metadata:",
      `  name: ${policyName}`,
      "spec:",
      "  mode: audit",
      "  resources:",
      "    networks:",
      "      - name: vft-drift-net",
      "        mode: isolated",
      "        bridge: vftdr0",
      "",
    ].join("\n"),
  );
  controller = await startController({ dataDir: join(data.path, "controller"), policiesDir, webhooks: [hookUrl] });
  a = new FakeAgent(hostA);
  await a.welcome();
  const b = (await a.bundle())!;
  generation = b.generation;
  bundleRevision = b.revision;
});

afterAll(async () => {
  await a?.close();
  await stopAll();
  await new Promise((r) => hookServer?.close(r));
  data.cleanup();
});

describe("drift and compliance through a real controller", () => {
  it("stores a report and a drift event, acks after storing, and lists the event with the spec's keys", async () => {
    a.report({
      eventSeq: 1,
      generation,
      bundleRevision,
      resources: [
        {
          kind: "network",
          name: "vft-drift-net",
          policy: policyName,
          outcome: "ok",
          changesJson: "[]",
          error: "",
          pendingRestart: false,
        },
      ],
    });
    a.drift({ eventSeq: 2, id: `d1-${tag}` });
    expect(await a.ackedUpTo(2)).toEqual({ upToEventSeq: 2 });
    const events = await driftJson("--host", hostA);
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(Object.keys(e)).toEqual(
      expect.arrayContaining(["id", "host", "policy", "kind", "name", "fields", "detectedAt", "source", "remediation"]),
    );
    expect(e).toMatchObject({
      id: `d1-${tag}`,
      host: hostA,
      policy: policyName,
      kind: "network",
      name: "vft-drift-net",
      fields: [{ field: "active", desired: true, actual: false }],
      source: "event",
      remediation: "reported",
    });
    expect(e.resolvedAt).toBeUndefined();
    expect(new Date(e.detectedAt).toISOString()).toBe(e.detectedAt);
    const human = await cli("drift", "--host", hostA);
    expect(human.stdout).toMatch(/DETECTED\s+HOST/);
    expect(human.stdout).toContain(`network/vft-drift-net`);
  });

  it("stores a replayed event_seq once and still acknowledges it", async () => {
    await a.close();
    a = new FakeAgent(hostA);
    expect((await a.welcome())!.lastEventSeq).toBe(2);
    a.drift({ eventSeq: 2, id: `d1-${tag}`, remediation: "failed" });
    expect(await a.ackedUpTo(2)).toEqual({ upToEventSeq: 2 });
    const events = await driftJson("--host", hostA);
    expect(events).toHaveLength(1);
    expect(events[0].remediation).toBe("reported");
  });

  it("shows a new event to a running `drift watch --json` within 1 s", async () => {
    const watch = spawnCli([
      "drift",
      "watch",
      "--json",
      "--host",
      hostA,
      "--controller",
      controller.address,
      "--insecure",
    ]);
    await waitFor(
      "watch to be established",
      () => (/watching drift events/.test(watch.stderr) ? true : undefined),
      15_000,
      20,
    );
    const t0 = Date.now();
    a.drift({ eventSeq: 3, id: `d2-${tag}`, kind: "domain", name: "vft-web" });
    const line = await waitFor(
      "watch output",
      () => watch.stdout.split("\n").find((l) => l.includes(`d2-${tag}`)),
      5_000,
      10,
    );
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(JSON.parse(line)).toMatchObject({
      id: `d2-${tag}`,
      host: hostA,
      kind: "domain",
      name: "vft-web",
      remediation: "reported",
    });
    expect(await watch.stop("SIGINT")).toBe(0);
  });

  it("reports compliance per host and policy: drifted, pending, then compliant; exit 3 unless all compliant", async () => {
    const b = new FakeAgent(hostB);
    await b.bundle();
    const r = await cli("compliance", "--json");
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc.fleet).sort()).toEqual(["compliant", "hosts", "percent"]);
    const ha = doc.hosts.find((h: any) => h.name === hostA);
    const hb = doc.hosts.find((h: any) => h.name === hostB);
    expect(ha).toMatchObject({
      compliant: false,
      policies: [
        {
          name: policyName,
          revision: expect.any(String),
          status: "drifted",
          resources: { ok: 0, drift: 2, failed: 0 },
        },
      ],
    });
    expect(ha.policies[0].observedRevision).toBe(ha.policies[0].revision);
    expect(hb).toMatchObject({ compliant: false, policies: [{ name: policyName, status: "pending" }] });
    expect(doc.alerts).toMatchObject({ webhooks: [expect.stringContaining("?[redacted]")] });
    expect(typeof doc.fleet.percent).toBe("number");

    const from = a.received.length;
    a.drift({ eventSeq: 4, id: `d1-${tag}`, remediation: "repaired", resolvedAtMs: Date.now() });
    a.drift({
      eventSeq: 5,
      id: `d2-${tag}`,
      kind: "domain",
      name: "vft-web",
      remediation: "repaired",
      resolvedAtMs: Date.now(),
    });
    await a.ackedUpTo(5, from);
    const after = JSON.parse((await cli("compliance", "--json")).stdout);
    expect(after.hosts.find((h: any) => h.name === hostA)).toMatchObject({
      compliant: true,
      policies: [{ status: "compliant", resources: { ok: 1, drift: 0, failed: 0 } }],
    });
    expect((await hostsJson(controller.address)).find((h) => h.name === hostA)?.compliance).toEqual({
      compliant: true,
      policies: 1,
      drifted: 0,
    });
    const detail = await cli("host", hostA, "--json");
    expect(JSON.parse(detail.stdout)).toMatchObject({
      policies: [{ name: policyName, status: "compliant" }],
      resources: [{ kind: "network", name: "vft-drift-net", outcome: "ok", policy: policyName }],
    });
    expect((await cli("host", hostA)).stdout).toMatch(/Policies:[\s\S]*compliant[\s\S]*Last outcomes:/);
    await b.close();
  });

  it("delivers drift alerts to a webhook, retrying after a first 500, with no secret in the logs", async () => {
    await waitFor(
      "webhook deliveries",
      () => (hooks.filter((h) => h.status === 200).length >= 3 ? true : undefined),
      20_000,
      100,
    );
    const first = hooks[0]!;
    expect(first.status).toBe(500);
    const retried = hooks.find(
      (h) => h.status === 200 && h.headers["x-virtfleet-delivery"] === first.headers["x-virtfleet-delivery"],
    );
    expect(retried?.headers["x-virtfleet-attempt"]).toBe("2");
    const driftAlerts = hooks.filter((h) => h.body.type === "drift").map((h) => h.body);
    expect(driftAlerts[0]).toMatchObject({
      type: "drift",
      host: hostA,
      drift: { id: `d1-${tag}`, remediation: "reported" },
    });
    expect(driftAlerts.some((p) => p.drift.id === `d1-${tag}` && p.drift.resolvedAt)).toBe(true);
    expect(controller.proc.stderr).not.toContain(`s3cret-${tag}`);
    const r = await cli("compliance", "--json");
    // the first 500 was retried and delivered: the recovered webhook shows no last error
    expect(JSON.parse(r.stdout).alerts).toMatchObject({ failing: 0, lastError: null });
  });

  it("resets only the stream that sends a garbage drift event", async () => {
    const c = new FakeAgent(hostC);
    await c.welcome();
    c.drift({ eventSeq: 1, id: `bad-${tag}`, remediation: "teleported" });
    const status = await c.status;
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.details).toMatch(/drift.remediation/);
    const from = a.received.length;
    a.drift({ eventSeq: 6, id: `d3-${tag}` });
    expect(await a.ackedUpTo(6, from)).toEqual({ upToEventSeq: 6 });
    expect((await driftJson()).map((e) => e.id)).not.toContain(`bad-${tag}`);
  });

  it("relays a flap acknowledgement to a connected host and fails clearly for a disconnected one", async () => {
    const ok = await cli("drift", "ack", hostA, "domain/vft-web");
    expect(ok.code).toBe(0);
    const cmd = await waitFor("command", () => a.received.find((m) => m.body === "command")?.command, 5_000, 20);
    expect(cmd!.acknowledgeFlap).toEqual({ resource: "domain/vft-web" });
    const off = await cli("drift", "ack", hostB);
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/not connected/);
    const bad = await cli("drift", "ack", hostA, "nonsense");
    expect(bad.code).toBe(2);
  });
});
