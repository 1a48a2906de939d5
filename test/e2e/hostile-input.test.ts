/**
 * Hostile input against real processes: a controller (plaintext, loopback) with a watched
 * policies folder and a real agent converging this host's libvirtd.
 *
 * - YAML bombs, pathological nesting and oversized files dropped into the running
 *   controller's folder are rejected with file:line:col (`policies --json` shows it), the
 *   revision in force stays, and the controller keeps answering;
 * - a connection flood from one address (500 silent or half-preface TCP connections, 200
 *   streams that never send Hello) does not keep a real agent from connecting and reporting;
 * - malformed protobuf on the agent stream resets that stream only;
 * - a cloud-init password hash converged through controller + agent, drifted out of band,
 *   appears in no CLI output (`--json` of policies, hosts, host, drift, compliance, plan)
 *   and no log line; the drift names the field with "[redacted]" values;
 * - a controller sending an oversized bundle: the agent refuses it (RESOURCE_EXHAUSTED before
 *   parsing), logs it, reconnects with the bundle it had, and keeps enforcing it.
 * Every libvirt object is named with the test prefix and removed in afterAll.
 */
import * as grpc from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { AgentMessage__Output } from "../../generated/proto/fleet/v1/AgentMessage.js";
import type { ControllerMessage } from "../../generated/proto/fleet/v1/ControllerMessage.js";
import { fleetProto, type ResolvedPolicy } from "../../common/index.js";
import { renderSeed, seedVolumeName, writeSeedIso } from "../../kinds/index.js";
import { hostsJson, startAgent, startController, waitForHost, type StartedController } from "../harness/fleet.js";
import { runCli, stopAll, tempDir, waitFor, type Proc } from "../harness/processes.js";
import { seedGuestDocument } from "../harness/specs.js";
import { cleanupPrefix, testPrefix, virsh, virshResult } from "../harness/virsh.js";

const prefix = testPrefix();
const data = tempDir("vft-hostile-input-");
chmodSync(data.path, 0o755); // QEMU (libvirt-qemu) reads the seed below it
const policiesDir = join(data.path, "policies");
mkdirSync(policiesDir);
const hostName = `${prefix}host`;
let controller: StartedController;
let agent: Proc;

function cryptHash(): string {
  const alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return `$6$vft${randomBytes(4).toString("hex")}$${[...randomBytes(86)].map((b) => alphabet[b % 64]).join("")}`;
}
const HASH_1 = cryptHash();
const HASH_2 = cryptHash();

interface PoliciesView {
  policies: { name: string; revision: string; generation: number }[];
  errors: string[];
}

async function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli([...args, "--controller", controller.address, "--insecure"]);
}

async function policiesJson(): Promise<PoliciesView> {
  const r = await cli("policies", "--json");
  if (r.code !== 0) throw new Error(`policies --json exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as PoliciesView;
}

/** `hosts --json` answers within `ms`. */
async function responsive(ms = 5_000): Promise<void> {
  expect(controller.proc.running).toBe(true);
  const t = Date.now();
  await hostsJson(controller.address);
  expect(Date.now() - t).toBeLessThan(ms);
}

/** Exit codes of `virsh dominfo` for `guest` and `virsh vol-info` for its cloud-init seed in `pool`. */
async function guestAndSeed(guest: string, pool: string): Promise<{ domain: number | null; seed: number | null }> {
  const domain = (await virshResult("dominfo", guest)).code;
  const seed = (await virshResult("vol-info", seedVolumeName(guest), "--pool", pool)).code;
  return { domain, seed };
}

/** What a failed wait for a guest needs to be explained: libvirt's view, the policy's rollout and the agent's last log lines. */
async function convergenceDiagnostics(policyName: string, guest: string, pool: string): Promise<string> {
  const codes = await guestAndSeed(guest, pool);
  const rollout = await cli("rollout", "status", policyName, "--json");
  const agentLines = agent
    .logs()
    .slice(-40)
    .map((l) => JSON.stringify(l));
  return [
    `virsh dominfo ${guest}: exit ${codes.domain}; vol-info of the seed: exit ${codes.seed}`,
    `rollout status ${policyName}: exit ${rollout.code} ${rollout.stdout.slice(0, 3_000)}${rollout.stderr.slice(0, 500)}`,
    `the agent's last log lines:`,
    ...agentLines,
  ].join("\n");
}

const policy = (name: string, resources: object) =>
  stringify({ apiVersion: "virtfleet/v1", kind: "Policy", metadata: { name }, spec: { resources } });

beforeAll(async () => {
  writeFileSync(join(policiesDir, "good.yaml"), policy("good", {}));
  controller = await startController({ dataDir: join(data.path, "controller"), policiesDir });
});

afterAll(async () => {
  await stopAll();
  await cleanupPrefix(prefix);
  data.cleanup();
  expect(await virsh("list", "--all", "--name")).not.toContain(prefix);
  expect(await virsh("pool-list", "--all", "--name")).not.toContain(prefix);
});

describe("hostile policy files in a running controller's folder", () => {
  it("a billion-laughs file, a deeply nested one and a 1 MiB+ one are rejected with file:line:col; the revision in force stays", async () => {
    const before = await waitFor("policy good in force", async () =>
      (await policiesJson()).policies.find((p) => p.name === "good"),
    );
    const levels = ["    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i <= 9; i++)
      levels.push(
        `    l${i}: &l${i} [${Array(9)
          .fill(`*l${i - 1}`)
          .join(", ")}]`,
      );
    writeFileSync(
      join(policiesDir, "bomb.yaml"),
      `apiVersion: virtfleet/v1\nkind: Policy\nmetadata:\n  name: bomb\nspec:\n  vars:\n${levels.join("\n")}\n  resources: {}\n`,
    );
    writeFileSync(join(policiesDir, "deep.yaml"), `a: ${"[".repeat(300_000)}${"]".repeat(300_000)}\n`);
    writeFileSync(join(policiesDir, "huge.yaml"), `# ${"x".repeat(1024 * 1024)}\n`);
    const view = await waitFor("the rejection", async () => {
      const v = await policiesJson();
      return v.errors.length >= 3 ? v : undefined;
    });
    expect(view.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/bomb\.yaml:8:14: YAML aliases expand to too many nodes \(more than 100\)/),
        expect.stringMatching(/deep\.yaml:1:\d+: YAML refused unparsed: collections nested deeper than 64 levels/),
        expect.stringMatching(/huge\.yaml:1:1: \d+ bytes, larger than the limit of 1 MiB per policy file/),
      ]),
    );
    expect(view.policies.find((p) => p.name === "good")).toEqual(before);
    expect(view.policies.map((p) => p.name)).not.toContain("bomb");
    await responsive();
    const warned = controller.proc
      .logs()
      .filter((l) => l.msg === "policy change rejected; the previous revisions stay in force");
    expect(warned.length).toBeGreaterThanOrEqual(1);
  });

  it("removing the bad files makes the folder load again", async () => {
    for (const f of ["bomb.yaml", "deep.yaml", "huge.yaml"]) rmSync(join(policiesDir, f));
    await waitFor("an accepted load", async () => ((await policiesJson()).errors.length === 0 ? true : undefined));
  });
});

describe("a connection flood from one address", () => {
  const sockets: Socket[] = [];
  const clients: grpc.Client[] = [];
  afterAll(() => {
    for (const s of sockets) s.destroy();
    for (const c of clients) c.close();
  });

  it("500 idle or half-preface connections and 200 streams without Hello: a real agent still connects and reports", async () => {
    for (let i = 0; i < 500; i++) {
      const s = connect({ host: "127.0.0.1", port: controller.port }, () => {
        if (i % 2 === 1) s.write("PRI * HTTP/2.0\r\n");
      });
      s.on("error", () => undefined);
      sockets.push(s);
    }
    for (let c = 0; c < 2; c++) {
      const client = new (fleetProto().AgentService)(controller.address, grpc.credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
      });
      clients.push(client);
      for (let i = 0; i < 100; i++) {
        const call = client.Connect();
        call.on("error", () => undefined);
        call.on("data", () => undefined);
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    await responsive();
    const t = Date.now();
    agent = startAgent({
      controller: controller.address,
      name: hostName,
      stateDir: join(data.path, "agent"),
      maxBackoff: "1s",
      extraArgs: ["--resync-interval", "2s"],
    });
    await waitForHost(controller.address, hostName, true, 15_000);
    expect(Date.now() - t).toBeLessThan(15_000);
    await responsive();
    expect(controller.proc.running).toBe(true);
  });
});

describe("malformed protobuf on the agent stream", () => {
  it("bytes that are not an AgentMessage reset that stream only", async () => {
    const client = new grpc.Client(controller.address, grpc.credentials.createInsecure());
    const garbage = [
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
      Buffer.from([0x52, 0x05, 0x01]),
      Buffer.alloc(512, 0xa5),
    ];
    for (const bytes of garbage) {
      const status = await new Promise<grpc.StatusObject>((resolve) => {
        const call = client.makeBidiStreamRequest(
          "/fleet.v1.AgentService/Connect",
          (b: Buffer) => b,
          (b: Buffer) => b,
        );
        call.on("data", () => undefined);
        call.on("error", () => undefined);
        call.on("status", resolve);
        call.write(bytes);
      });
      expect(status.code).not.toBe(grpc.status.OK);
    }
    client.close();
    await responsive();
    expect((await hostsJson(controller.address)).find((h) => h.name === hostName)?.connected).toBe(true);
  });
});

describe("secrets through controller and agent", () => {
  const pool = `${prefix}pool`;
  const guest = `${prefix}ci`;
  const poolPath = join(data.path, "pool");
  const cloudInit = (hash: string) => ({
    hostname: "ci",
    users: [{ name: "ops", passwordHash: hash, sudo: "ALL=(ALL) NOPASSWD:ALL" }],
  });

  it("a password hash converged, then drifted out of band, appears in no output and no log; the drift shows [redacted]", async () => {
    writeFileSync(
      join(policiesDir, "secrets.yaml"),
      policy("secrets", {
        pools: [{ name: pool, path: poolPath }],
        volumes: [{ name: `${guest}.qcow2`, pool, capacity: "16MiB" }],
        domains: [seedGuestDocument(pool, guest, cloudInit(HASH_1))],
      }),
    );
    const seed = join(poolPath, seedVolumeName(guest));
    await waitFor(
      "the guest and its seed",
      async () => {
        const codes = await guestAndSeed(guest, pool);
        return codes.domain === 0 && codes.seed === 0 ? true : undefined;
      },
      45_000,
      250,
      () => convergenceDiagnostics("secrets", guest, pool),
    );

    // Drift: the seed replaced out of band with one carrying another hash; the next resync (2 s) sees it.
    await writeSeedIso(
      seed,
      renderSeed(guest, {
        hostname: "ci",
        users: [
          { name: "ops", groups: [], sudo: "ALL=(ALL) NOPASSWD:ALL", passwordHash: HASH_2, sshAuthorizedKeys: [] },
        ],
        packages: [],
        packageUpdate: false,
      }),
    );
    const drift = await waitFor(
      "the seed drift",
      async () => {
        const r = await cli("drift", "--json", "--host", hostName);
        const events = JSON.parse(r.stdout) as {
          name: string;
          fields: { field: string; desired: unknown; actual: unknown }[];
        }[];
        return events.find(
          (e) => e.name === `${pool}/${guest}-cidata.iso` && e.fields.some((f) => f.field.endsWith("passwordHash")),
        );
      },
      30_000,
      500,
    );
    expect(drift.fields).toContainEqual({
      field: "cloudInit.users[ops].passwordHash",
      desired: "[redacted]",
      actual: "[redacted]",
    });

    const outputs = await Promise.all([
      cli("policies", "--json"),
      cli("hosts", "--json"),
      cli("host", hostName, "--json"),
      cli("drift", "--json"),
      cli("compliance", "--json"),
      cli("plan", "secrets", "--json", "--timeout", "10s"),
    ]);
    const texts = [
      ...outputs.flatMap((o) => [o.stdout, o.stderr]),
      controller.proc.stdout,
      controller.proc.stderr,
      agent.stdout,
      agent.stderr,
    ];
    expect(outputs.map((o) => o.code)).toEqual([0, 0, 0, 0, expect.any(Number), 0]);
    for (const hash of [HASH_1, HASH_2]) {
      for (const piece of [hash, hash.slice(0, 20), hash.slice(-20)]) {
        for (const text of texts)
          expect(
            text.includes(piece),
            `found ${piece} in: ${text.slice(Math.max(0, text.indexOf(piece) - 200), text.indexOf(piece) + 50)}`,
          ).toBe(false);
      }
    }
    rmSync(join(policiesDir, "secrets.yaml"));
  });
});

describe("a controller that sends an oversized bundle", () => {
  const pool = `${prefix}fk`;
  const poolPath = join(data.path, "fake-pool");
  let server: grpc.Server;
  let fakeAgent: Proc;
  const hellos: AgentMessage__Output[] = [];
  let seq = 0;
  let streams = 0;
  let reportedGood = false;

  const resolved = (description: string): ResolvedPolicy => ({
    name: "fake",
    description,
    mode: "enforce",
    priority: 0,
    source: { file: "fake.yaml", line: 1, col: 1 },
    resources: {
      host: null,
      networks: [],
      pools: [{ name: pool, type: "dir", path: poolPath, autostart: false, state: "active" }],
      volumes: [],
      domains: [],
    },
  });
  const bundle = (revision: string, generation: number, description: string): ControllerMessage => ({
    seq: ++seq,
    ack: 0,
    bundle: {
      revision,
      generation,
      policies: [
        { name: "fake", revision: "p1", mode: "enforce", resolvedJson: JSON.stringify(resolved(description)) },
      ],
    },
  });

  beforeAll(async () => {
    server = new grpc.Server({
      "grpc.max_send_message_length": 64 * 1024 * 1024,
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
    });
    server.addService(fleetProto().AgentService.service, {
      Connect: (call: grpc.ServerDuplexStream<AgentMessage__Output, ControllerMessage>) => {
        const stream = ++streams;
        call.on("error", () => undefined);
        call.on("data", (m: AgentMessage__Output) => {
          if (m.body === "hello") {
            hellos.push(m);
            call.write({
              seq: ++seq,
              ack: 0,
              welcome: {
                sessionId: `fake-${stream}`,
                heartbeatIntervalMs: 1_000,
                heartbeatTimeoutMs: 30_000,
                controllerVersion: "fake",
                lastAgentSeq: 0,
                lastEventSeq: 0,
              },
            });
            if (stream === 1) call.write(bundle("rev-good", 1, "small"));
          }
          if (m.body === "report" && m.report?.bundleRevision === "rev-good" && stream === 1 && !reportedGood) {
            reportedGood = true;
            call.write({ seq: ++seq, ack: 0, eventsAck: { upToEventSeq: m.report.eventSeq } });
            // 5 MiB: over the agent's 4 MiB receive limit.
            call.write(bundle("rev-huge", 2, "x".repeat(5 * 1024 * 1024)));
          }
        });
      },
    } as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    fakeAgent = startAgent({
      controller: `127.0.0.1:${port}`,
      name: `${prefix}fake`,
      stateDir: join(data.path, "fake-agent"),
      maxBackoff: "1s",
    });
  });

  afterAll(async () => {
    await fakeAgent?.stop();
    server?.forceShutdown();
  });

  it("the agent refuses it, logs it, reconnects holding the bundle it had, and keeps enforcing that bundle", async () => {
    await waitFor("the second stream's hello", () => (hellos.length >= 2 ? true : undefined), 30_000, 100);
    expect(reportedGood).toBe(true);
    expect(hellos[1]!.hello!.bundleRevision).toBe("rev-good");
    const refusal = fakeAgent
      .logs()
      .find(
        (l) =>
          l.msg === "controller link down; will retry" && /larger than max|RESOURCE_EXHAUSTED/i.test(JSON.stringify(l)),
      );
    expect(refusal, fakeAgent.stderr.slice(-3000)).toBeTruthy();
    expect(fakeAgent.logs().some((l) => JSON.stringify(l).includes("rev-huge"))).toBe(false);
    expect(fakeAgent.running).toBe(true);
    // Still enforcing rev-good: a pool stopped out of band is started again.
    await virsh("pool-destroy", pool);
    await waitFor(
      "the pool repaired",
      async () => ((await virsh("pool-info", pool)).match(/State:\s+running/) ? true : undefined),
      20_000,
      250,
    );
  });
});
