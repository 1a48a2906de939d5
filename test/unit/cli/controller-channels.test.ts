import * as grpc from "@grpc/grpc-js";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClient, ControllerUnreachableError, PermissionDeniedError } from "../../../cli/admin-client.js";
import { ControllerChannels } from "../../../cli/controller-channels.js";
import { fleetProto, type HostPort } from "../../../common/index.js";
import { freePort } from "../../harness/processes.js";

/**
 * The CLI's failover over several controllers (cli/controller-channels.ts) against gRPC
 * servers on loopback that answer ListPolicies as told: what moves on to the next address
 * (no controller reached) and what is final (any answer, or a deadline after the call was sent).
 */
type Behaviour = "answer" | "deny" | "unavailable" | "hang";

interface Peer {
  server: grpc.Server;
  address: HostPort;
  calls: number;
}

async function peer(behaviour: Behaviour): Promise<Peer> {
  const server = new grpc.Server();
  const p: Peer = { server, address: { host: "127.0.0.1", port: 0 }, calls: 0 };
  server.addService(fleetProto().AdminService.service, {
    ListPolicies: (_call: unknown, cb: grpc.sendUnaryData<{ policies: unknown[] }>) => {
      p.calls += 1;
      if (behaviour === "answer") cb(null, { policies: [] });
      else if (behaviour === "deny")
        cb({ code: grpc.status.PERMISSION_DENIED, details: "role viewer may not" } as grpc.ServiceError);
      else if (behaviour === "unavailable")
        cb({ code: grpc.status.UNAVAILABLE, details: "controller shutting down" } as grpc.ServiceError);
      // hang: never answers
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
  p.address = { host: "127.0.0.1", port };
  return p;
}

/** Accepts TCP connections and never speaks HTTP/2: a frozen process behind its listen backlog. */
let silent: Server;
const silentSockets: Socket[] = [];
let silentAddress: HostPort;
const peers: Record<Behaviour, Peer> = {} as Record<Behaviour, Peer>;
let closed: HostPort;
let closed2: HostPort;

beforeAll(async () => {
  for (const b of ["answer", "deny", "unavailable", "hang"] as const) peers[b] = await peer(b);
  silent = createServer((s) => void silentSockets.push(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  silentAddress = { host: "127.0.0.1", port: (silent.address() as { port: number }).port };
  closed = { host: "127.0.0.1", port: await freePort() };
  closed2 = { host: "127.0.0.1", port: await freePort() };
});
afterAll(() => {
  for (const p of Object.values(peers)) p.server.forceShutdown();
  for (const s of silentSockets) s.destroy();
  silent.close();
});

const calls = () => Object.fromEntries(Object.entries(peers).map(([k, p]) => [k, p.calls]));
const target = (a: HostPort) => `${a.host}:${a.port}`;

async function listPolicies(addresses: HostPort[], timeoutMs = 1_000, readOnly = false): Promise<unknown> {
  const ch = new ControllerChannels(addresses, true);
  try {
    return await ch.unary(
      "listing policies",
      (client, deadline, done) => client.ListPolicies({ history: 0 }, { deadline }, (err, res) => done(err, res)),
      timeoutMs,
      readOnly,
    );
  } finally {
    ch.close();
  }
}

describe("the CLI with several controllers", () => {
  it("moves on from an address nothing listens on, and from UNAVAILABLE", async () => {
    const before = calls();
    const client = new AdminClient([closed, peers.unavailable.address, peers.answer.address], true);
    try {
      expect(await client.listPolicies()).toMatchObject({ policies: [] });
    } finally {
      client.close();
    }
    expect(peers.unavailable.calls).toBe(before.unavailable! + 1);
    expect(peers.answer.calls).toBe(before.answer! + 1);
  });

  it("moves on when the deadline passes before the call was sent (a controller that accepts TCP and says nothing)", async () => {
    const before = peers.answer.calls;
    const t0 = Date.now();
    expect(await listPolicies([silentAddress, peers.answer.address], 600)).toMatchObject({ policies: [] });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    expect(peers.answer.calls).toBe(before + 1);
  });

  it("stops at a refusal: the next controller is not asked", async () => {
    const before = calls();
    const client = new AdminClient([peers.deny.address, peers.answer.address], true);
    try {
      await expect(client.listPolicies()).rejects.toThrow(PermissionDeniedError);
    } finally {
      client.close();
    }
    expect(peers.deny.calls).toBe(before.deny! + 1);
    expect(peers.answer.calls).toBe(before.answer);
  });

  it("stops at a deadline after the call was sent (it may have been carried out)", async () => {
    const before = calls();
    await expect(listPolicies([peers.hang.address, peers.answer.address], 500)).rejects.toThrow(
      new RegExp(`cannot reach the controller at ${target(peers.hang.address)} \\(Deadline exceeded`),
    );
    expect(peers.hang.calls).toBe(before.hang! + 1);
    expect(peers.answer.calls).toBe(before.answer);
  });

  it("a read moves on past a controller that took it and did not answer in time (a busy replica)", async () => {
    const before = calls();
    await expect(listPolicies([peers.hang.address, peers.answer.address], 500, true)).resolves.toMatchObject({
      policies: [],
    });
    expect(peers.hang.calls).toBe(before.hang! + 1);
    expect(peers.answer.calls).toBe(before.answer! + 1);
  });

  it("names every address when none answered", async () => {
    const err = await listPolicies([closed, closed2, silentAddress], 500).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControllerUnreachableError);
    const message = (err as Error).message;
    expect(message).toMatch(/^listing policies: cannot reach any of the 3 controllers /);
    for (const a of [closed, closed2, silentAddress]) expect(message).toContain(`${target(a)}: `);
    expect(message).toContain("ECONNREFUSED");
    expect(message).toContain("Deadline exceeded");
  });
});
