import type * as grpc from "@grpc/grpc-js";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminServiceClient } from "../../generated/proto/fleet/v1/AdminService.js";
import { enrol } from "../../agent/enroll/index.js";
import { ControllerLink } from "../../agent/link/index.js";
import {
  ADMIN_CHANNEL_OPTIONS,
  adminProto,
  channelCredentials,
  checkControllerIdentity,
  createLogger,
  OptionError,
  VERSION,
} from "../../common/index.js";
import { parseEnrolToken } from "../../common/pki/index.js";
import { Controller } from "../../controller/index.js";
import { ADMIN_DIR, ADMIN_FILES } from "../../controller/defaults.js";
import type { MetricsRequestHandler } from "../../controller/metrics/index.js";
import { newStats, SimulatedAgent } from "../../bench/loadgen/simulated-agent.js";
import { syntheticFacts } from "../../bench/loadgen/synthetic-facts.js";
import { parseExposition, samplesOf, sampleValue, type Exposition } from "../harness/exposition.js";
import { startAgent } from "../harness/fleet.js";
import { assertBuilt, type Proc, waitFor } from "../harness/processes.js";

// A real Controller (secure: its own CA, enrolment, mTLS streams) in this process, real agent
// peers on its gRPC listener (the load generator's SimulatedAgent and the agent's own
// ControllerLink), and /metrics served by Controller.metricsHandler() on this test's own HTTP
// servers: the figures follow what happens, and access is refused where it must be.

const log = createLogger("metrics-test", "silent");
const tag = `vfm${process.pid}`;
const policy = `${tag}-net`;
const dir = mkdtempSync(join(tmpdir(), "vf-metrics-"));

interface Served {
  server: http.Server | https.Server;
  url: string;
}

async function serve(handler: MetricsRequestHandler, host: string, tls?: https.ServerOptions): Promise<Served> {
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => void handler(req, res);
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `${tls ? "https" : "http"}://${host}:${port}/metrics` };
}

async function get(
  url: string,
  options: { headers?: Record<string, string>; localAddress?: string; tls?: https.RequestOptions } = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith("https:") ? https : http;
    const req = mod.get(
      url,
      { headers: options.headers, localAddress: options.localAddress, ...options.tls },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on("error", reject);
  });
}

async function scrape(url: string, headers?: Record<string, string>): Promise<Exposition> {
  const res = await get(url, { headers });
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}: ${res.body}`);
  expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(res.body);
}

/** Scrapes until `probe` returns a value (the figures follow events asynchronously). */
function until<T>(what: string, url: string, probe: (e: Exposition) => T | undefined, timeoutMs = 10_000): Promise<T> {
  return waitFor(what, async () => probe(await scrape(url)), timeoutMs, 100);
}

function adminClient(c: Controller, credentialDir: string): AdminServiceClient {
  const read = (f: string) => readFileSync(join(credentialDir, f), "utf8");
  return new (adminProto().AdminService)(
    `127.0.0.1:${c.address.port}`,
    channelCredentials({
      insecure: false,
      tls: { caPem: read(ADMIN_FILES.ca), certPem: read(ADMIN_FILES.cert), keyPem: read(ADMIN_FILES.key) },
    }),
    ADMIN_CHANNEL_OPTIONS,
  );
}

function call<T>(fn: (done: (err: grpc.ServiceError | null, res?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res as T))));
}

async function enrolHost(c: Controller, admin: AdminServiceClient, host: string) {
  const { token } = await call<{ token: string }>((done) =>
    admin.CreateToken({ ttlMs: 600_000, host, pattern: "", uses: 1 }, done),
  );
  return enrol(c.address, { ...parseEnrolToken(token), text: token }, host);
}

function newController(name: string, extra: Partial<ConstructorParameters<typeof Controller>[0]> = {}): Controller {
  const policiesDir = join(dir, `${name}-policies`);
  mkdirSync(policiesDir, { recursive: true });
  return new Controller({
    listen: { host: "127.0.0.1", port: 0 },
    dataDir: join(dir, name),
    insecure: false,
    policiesDir,
    rollouts: { planTimeoutMs: 0, tickMs: 100 },
    agents: { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 3_000 },
    log,
    ...extra,
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("metrics of a running controller (loopback access)", () => {
  let controller: Controller;
  let admin: AdminServiceClient;
  let loopback: Served;
  let external: Served | undefined;
  let hook: http.Server;
  let hookHits = 0;
  let simulated: SimulatedAgent | undefined;
  let link: ControllerLink | undefined;
  const externalAddress = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

  beforeAll(async () => {
    // A webhook receiver that always fails: deliveries are retried and counted as failed.
    hook = http.createServer((req, res) => {
      hookHits++;
      req.resume();
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
    controller = newController("loopback", { webhooks: [hookUrl] });
    writeFileSync(
      join(dir, "loopback-policies", "net.yaml"),
      [
        "apiVersion: virtfleet/v1",
        "kind: Policy",
        "metadata:",
        `  name: ${policy}`,
        "spec:",
        "  mode: audit",
        "  resources:",
        "    networks:",
        `      - name: ${tag}-n`,
        "        mode: isolated",
        "",
      ].join("\n"),
    );
    await controller.start();
    admin = adminClient(controller, join(dir, "loopback", ADMIN_DIR));
    const handler = controller.metricsHandler();
    loopback = await serve(handler, "127.0.0.1");
    if (externalAddress) external = await serve(handler, externalAddress);
  });

  afterAll(async () => {
    simulated?.stop();
    link?.close();
    admin?.close();
    for (const s of [loopback?.server, external?.server, hook]) await new Promise((r) => s?.close(r));
    await controller?.stop();
  });

  it("serves the exposition format to a loopback peer, before any agent", async () => {
    const e = await scrape(loopback.url);
    expect(sampleValue(e, "virtfleet_agents_connected")).toBe(0);
    expect(sampleValue(e, "virtfleet_hosts", { state: "connected" })).toBe(0);
    expect(sampleValue(e, "virtfleet_enrolments_total")).toBe(0);
    expect(e.types.get("virtfleet_drift_events_total")).toBe("counter");
    expect(e.types.get("virtfleet_ingest_batch_latency_seconds")).toBe("histogram");
    expect(sampleValue(e, "virtfleet_store_size_bytes", { file: "database" })).toBeGreaterThan(0);
    expect(sampleValue(e, "process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
    expect(sampleValue(e, "virtfleet_fleet_compliance_ratio")).toBe(1);
    // no host label unless --metrics-per-host
    expect(e.samples.some((s) => "host" in s.labels)).toBe(false);
  });

  it("serves every metric the Grafana dashboard uses, and docs/metrics.md documents every metric served", async () => {
    const e = await scrape(loopback.url);
    // families (# TYPE), with a histogram's series names: a family may have no sample yet
    const served = new Set([...e.types.keys()].flatMap((m) => [m, `${m}_bucket`, `${m}_sum`, `${m}_count`]));
    const dashboard = readFileSync(new URL("../../docs/grafana/virtfleet.json", import.meta.url), "utf8");
    const used = new Set(dashboard.match(/\b(?:virtfleet|process|nodejs)_[a-z0-9_]+/g) ?? []);
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((m) => !served.has(m))).toEqual([]);
    const docs = readFileSync(new URL("../../docs/metrics.md", import.meta.url), "utf8");
    const families = [...e.types.keys()].filter((m) => m.startsWith("virtfleet_"));
    expect(families.filter((m) => !docs.includes(`\`${m}\``))).toEqual([]);
  });

  it("refuses a peer that is not on loopback (403) and methods other than GET/HEAD", async () => {
    expect(externalAddress, "this machine needs a non-loopback IPv4 address for this test").toBeDefined();
    const res = await get(external!.url, { localAddress: externalAddress });
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/loopback peers only/);
    expect(res.body).not.toMatch(/virtfleet_/);
    const post = await new Promise<number>((resolve, reject) => {
      const req = http.request(loopback.url, { method: "POST" }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(post).toBe(405);
  });

  it("counts an enrolment, an agent that connects, its compliance and its drift", async () => {
    const host = `${tag}-a`;
    const creds = await enrolHost(controller, admin, host);
    await until("the enrolment counted", loopback.url, (e) =>
      sampleValue(e, "virtfleet_enrolments_total") === 1 ? true : undefined,
    );
    const stats = newStats();
    simulated = new SimulatedAgent({
      host,
      target: {
        authority: `https://127.0.0.1:${controller.address.port}`,
        tls: {
          secureContext: createSecureContext({ ca: creds.caPem, cert: creds.certPem, key: creds.keyPem }),
          checkServerIdentity: checkControllerIdentity,
        },
      },
      facts: syntheticFacts(host, 1),
      stats,
      welcomeTimeoutMs: 10_000,
    });
    simulated.start();
    let e = await until("the agent connected", loopback.url, (x) =>
      sampleValue(x, "virtfleet_agents_connected") === 1 ? x : undefined,
    );
    expect(sampleValue(e, "virtfleet_hosts", { state: "connected" })).toBe(1);
    expect(sampleValue(e, "virtfleet_hosts", { state: "disconnected" })).toBe(0);
    // its bundle's report (every resource ok): compliant with the policy
    e = await until("the host compliant", loopback.url, (x) =>
      sampleValue(x, "virtfleet_hosts_compliance", { status: "compliant" }) === 1 ? x : undefined,
    );
    expect(sampleValue(e, "virtfleet_policy_compliance_ratio", { policy })).toBe(1);
    expect(sampleValue(e, "virtfleet_policy_hosts", { policy, status: "compliant" })).toBe(1);
    const batchesBefore = sampleValue(e, "virtfleet_ingest_batch_latency_seconds_count") ?? 0;
    expect(batchesBefore).toBeGreaterThanOrEqual(1);
    const drift = { kind: "network", remediation: "repaired", classification: "corrective" };
    expect(sampleValue(e, "virtfleet_drift_events_total", drift)).toBeUndefined();

    expect(simulated.sendDrift()).toBe(true);
    e = await until("the drift counted", loopback.url, (x) =>
      sampleValue(x, "virtfleet_drift_events_total", drift) === 1 ? x : undefined,
    );
    expect(sampleValue(e, "virtfleet_ingest_batch_latency_seconds_count")).toBeGreaterThan(batchesBefore);
    expect(sampleValue(e, "virtfleet_ingest_events_total")).toBeGreaterThanOrEqual(2);
    // the latency histogram is cumulative and its +Inf bucket holds every batch
    const buckets = samplesOf(e, "virtfleet_ingest_batch_latency_seconds_bucket");
    expect(buckets.find((b) => b.labels.le === "+Inf")?.value).toBe(
      sampleValue(e, "virtfleet_ingest_batch_latency_seconds_count"),
    );
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);

    // the drift alert goes to the failing webhook: a failed delivery, the delivery still queued
    e = await until("the webhook failure counted", loopback.url, (x) =>
      (sampleValue(x, "virtfleet_webhook_deliveries_total", { outcome: "failed" }) ?? 0) >= 1 ? x : undefined,
    );
    expect(hookHits).toBeGreaterThanOrEqual(1);
    expect(sampleValue(e, "virtfleet_webhook_queue_depth")).toBeGreaterThanOrEqual(1);
    expect(sampleValue(e, "virtfleet_webhook_deliveries_total", { outcome: "delivered" })).toBe(0);
  });

  it("sums the outbox backlog the agents report in their heartbeats, and counts a revocation", async () => {
    const host = `${tag}-b`;
    const creds = await enrolHost(controller, admin, host);
    const seqs = { agent: 0, controller: 0 };
    const facts = syntheticFacts(host, 2);
    link = new ControllerLink(
      {
        controllers: [controller.address],
        insecure: false,
        credentials: () =>
          channelCredentials({
            insecure: false,
            tls: { caPem: creds.caPem, certPem: creds.certPem, keyPem: creds.keyPem },
          }),
        backoff: { initialMs: 100, maxMs: 1_000, multiplier: 2 },
        welcomeTimeoutMs: 10_000,
        outboxEntries: () => 42,
      },
      () => ({
        hostName: host,
        agentVersion: VERSION,
        factsJson: facts.json,
        factsFingerprint: facts.fingerprint,
        startedAtMs: Date.now(),
      }),
      {
        sequences: () => ({ lastAgentSeq: seqs.agent, lastControllerSeq: seqs.controller }),
        saveAgentSeq: (s) => {
          seqs.agent = s;
        },
        saveControllerSeq: (s) => {
          seqs.controller = s;
        },
      },
      log,
    );
    link.start();
    let e = await until("the backlog reported", loopback.url, (x) =>
      sampleValue(x, "virtfleet_outbox_backlog_events") === 42 ? x : undefined,
    );
    expect(sampleValue(e, "virtfleet_outbox_backlog_max_events")).toBe(42);
    expect(sampleValue(e, "virtfleet_agents_connected")).toBe(2);
    expect(sampleValue(e, "virtfleet_enrolments_total")).toBe(2);

    await call((done) => admin.RevokeCertificate({ host, admin: "", reason: "metrics test" }, done));
    e = await until("the revocation counted", loopback.url, (x) =>
      sampleValue(x, "virtfleet_agents_connected") === 1 ? x : undefined,
    );
    expect(sampleValue(e, "virtfleet_certificates_revoked_total", { kind: "agent" })).toBe(1);
    expect(sampleValue(e, "virtfleet_certificates_revoked_total", { kind: "admin" })).toBe(0);
    expect(sampleValue(e, "virtfleet_hosts", { state: "disconnected" })).toBe(1);
    expect(sampleValue(e, "virtfleet_outbox_backlog_events")).toBe(0);
  });
});

describe("metrics exposed with a bearer token or a client certificate", () => {
  let controller: Controller;
  let plain: Served;
  let tls: Served;
  const token = `${tag}-${"k".repeat(24)}`;
  const tokenFile = join(dir, "metrics-token");

  beforeAll(async () => {
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o644 });
    chmodSync(tokenFile, 0o644);
    const refused = newController("token", { metrics: { tokenFile } });
    const err = await refused.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OptionError);
    // a handler taken from a controller that did not start answers 503
    const early = await serve(refused.metricsHandler(), "127.0.0.1");
    expect((await get(early.url)).status).toBe(503);
    await new Promise((r) => early.server.close(r));
    expect(String((err as Error).message)).toMatch(/--metrics-token-file: .*accessible by group and others.*chmod 600/);
    expect(String((err as Error).message)).not.toContain(token);
    chmodSync(tokenFile, 0o600);
    controller = newController("token", { metrics: { tokenFile } });
    await controller.start();
    const handler = controller.metricsHandler();
    plain = await serve(handler, "127.0.0.1");
    const server = controller.pki!.serverTls;
    tls = await serve(handler, "127.0.0.1", {
      key: server.keyPem,
      cert: server.certPem,
      ca: server.caPem,
      requestCert: true,
      rejectUnauthorized: false,
    });
  });

  afterAll(async () => {
    for (const s of [plain?.server, tls?.server]) await new Promise((r) => s?.close(r));
    await controller?.stop();
  });

  it("asks even a loopback peer for the token, and refuses a wrong one without echoing it", async () => {
    const none = await get(plain.url);
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    const wrongToken = `${tag}-wrong-${"x".repeat(20)}`;
    const wrong = await get(plain.url, { headers: { authorization: `Bearer ${wrongToken}` } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain(wrongToken);
    expect(wrong.body).not.toContain(token);
    const basic = await get(plain.url, {
      headers: { authorization: `Basic ${Buffer.from(`x:${token}`).toString("base64")}` },
    });
    expect(basic.status).toBe(401);
    const e = await scrape(plain.url, { authorization: `Bearer ${token}` });
    expect(sampleValue(e, "virtfleet_agents_connected")).toBe(0);
  });

  it("accepts an admin certificate of its own CA, and refuses another controller's", async () => {
    const own = join(dir, "token", ADMIN_DIR);
    const read = (d: string, f: string) => readFileSync(join(d, f), "utf8");
    const ownRes = await get(tls.url, {
      tls: { ca: read(own, ADMIN_FILES.ca), cert: read(own, ADMIN_FILES.cert), key: read(own, ADMIN_FILES.key) },
    });
    expect(ownRes.status).toBe(200);
    expect(parseExposition(ownRes.body).types.get("virtfleet_hosts")).toBe("gauge");
    const other = join(dir, "loopback", ADMIN_DIR);
    const otherRes = await get(tls.url, {
      tls: { ca: read(own, ADMIN_FILES.ca), cert: read(other, ADMIN_FILES.cert), key: read(other, ADMIN_FILES.key) },
    });
    expect(otherRes.status).toBe(401);
  });
});

describe("metrics with a real agent process", () => {
  let controller: Controller;
  let served: Served;
  let agent: Proc | undefined;

  beforeAll(async () => {
    assertBuilt();
    controller = newController("process", { insecure: true });
    await controller.start();
    served = await serve(controller.metricsHandler(), "127.0.0.1");
  });

  afterAll(async () => {
    await agent?.stop();
    await new Promise((r) => served?.server.close(r));
    await controller?.stop();
  });

  it("shows the agent connected, libvirt-unreachable (no libvirtd behind its socket), then disconnected", async () => {
    agent = startAgent({
      controller: `127.0.0.1:${controller.address.port}`,
      name: `${tag}-proc`,
      stateDir: join(dir, "process-agent"),
      libvirtSocket: join(dir, "no-libvirt-sock"),
    });
    const e = await until(
      "the agent's host libvirt-unreachable",
      served.url,
      (x) => (sampleValue(x, "virtfleet_hosts", { state: "libvirt-unreachable" }) === 1 ? x : undefined),
      20_000,
    );
    expect(sampleValue(e, "virtfleet_agents_connected")).toBe(1);
    expect(sampleValue(e, "virtfleet_hosts", { state: "connected" })).toBe(0);
    // the real agent reports its outbox in every heartbeat: nothing waits once the controller acknowledged
    expect(sampleValue(e, "virtfleet_outbox_backlog_events")).toBe(0);
    await agent.stop();
    await until("the host disconnected", served.url, (x) =>
      sampleValue(x, "virtfleet_hosts", { state: "disconnected" }) === 1 ? true : undefined,
    );
  });
});
