/**
 * The controller's listener limits (common/grpc/connection-guard.ts, SERVER_CHANNEL_OPTIONS)
 * against a connection flood from one address, with real sockets and a real grpc-js server,
 * scaled down (20 per address, 300 ms handshake) so the test is quick.
 */
import * as grpc from "@grpc/grpc-js";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tempDir } from "../../harness/processes.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fleetProto, listenGuarded, SERVER_CHANNEL_OPTIONS, type GuardedListener } from "../../../common/index.js";

const LIMITS = { perAddress: 20, total: 50, handshakeMs: 300, unauthenticated: 1_000, unauthenticatedMs: 10_000 };
let server: grpc.Server;
let guard: GuardedListener;
let watching = 0;
let maxWatching = 0;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = new grpc.Server(SERVER_CHANNEL_OPTIONS);
  server.addService(fleetProto().AdminService.service, {
    ListHosts: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { hosts: [] }),
    // A stream that stays open until the client cancels: counts concurrent streams.
    WatchDrift: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      watching++;
      maxWatching = Math.max(maxWatching, watching);
      call.on("cancelled", () => watching--);
    },
  } as grpc.UntypedServiceImplementation);
  guard = await listenGuarded(server, { host: "127.0.0.1", port: 0 }, grpc.ServerCredentials.createInsecure(), LIMITS);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  guard.close();
  server.forceShutdown();
});

function open(bytes?: string): Socket {
  const s = connect({ host: "127.0.0.1", port: guard.port }, () => {
    if (bytes !== undefined) s.write(bytes);
  });
  s.on("error", () => undefined);
  sockets.push(s);
  return s;
}

const closed = (s: Socket) =>
  new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once("close", () => resolve())));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listHosts(): Promise<grpc.ServiceError | null> {
  // A private subchannel: grpc-js would otherwise share one still backing off from a refusal.
  const client = new (fleetProto().AdminService)(`127.0.0.1:${guard.port}`, grpc.credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
  });
  return new Promise((resolve) => {
    client.ListHosts({}, { deadline: Date.now() + 2_000 }, (err: grpc.ServiceError | null) => {
      client.close();
      resolve(err);
    });
  });
}

describe("connection guard", () => {
  it("serves gRPC calls through the injected connections", async () => {
    expect(await listHosts()).toBeNull();
  });

  it("refuses connections over the per-address limit at once, and cuts silent ones after the handshake time", async () => {
    await sleep(50);
    const before = guard.stats();
    const flood = Array.from({ length: LIMITS.perAddress + 10 }, (_, i) =>
      open(i % 2 === 0 ? undefined : "PRI * HTTP/2.0\r\n"),
    );
    await sleep(150);
    expect(flood.filter((s) => s.destroyed || s.readyState !== "open").length).toBe(10);
    expect(guard.stats().refused - before.refused).toBe(10);
    // The address is at its limit: a legitimate client from it must wait…
    expect(await listHosts()).not.toBeNull();
    // …until the silent and half-preface connections are cut.
    await Promise.all(flood.map(closed));
    expect(guard.stats().cutSilent - before.cutSilent).toBe(LIMITS.perAddress);
    expect(await listHosts()).toBeNull();
  });

  it("keeps a connection that sent a full preface (it is a real HTTP/2 client so far)", async () => {
    const s = open("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    await sleep(LIMITS.handshakeMs * 2);
    expect(s.destroyed).toBe(false);
    s.destroy();
  });

  it("allows at most 100 concurrent streams on one connection", async () => {
    const client = new (fleetProto().AdminService)(`127.0.0.1:${guard.port}`, grpc.credentials.createInsecure());
    const calls = Array.from({ length: 150 }, () => {
      const c = client.WatchDrift({});
      c.on("error", () => undefined);
      c.on("data", () => undefined);
      return c;
    });
    await sleep(500);
    expect(maxWatching).toBe(SERVER_CHANNEL_OPTIONS["grpc.max_concurrent_streams"]);
    for (const c of calls) c.cancel();
    client.close();
  });
});

describe("connection guard with mutual TLS", () => {
  it("hands TLS connections to grpc-js intact: the call works and the peer certificate is seen", async () => {
    const dir = tempDir("vft-guard-tls-");
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:P-256",
          "-nodes",
          "-keyout",
          `${dir.path}/key.pem`,
          "-out",
          `${dir.path}/cert.pem`,
          "-days",
          "1",
          "-subj",
          "/CN=vft-guard-peer",
          "-addext",
          "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        { stdio: "ignore" },
      );
      const key = readFileSync(`${dir.path}/key.pem`);
      const cert = readFileSync(`${dir.path}/cert.pem`);
      const tls = new grpc.Server(SERVER_CHANNEL_OPTIONS);
      let peer: string | undefined;
      tls.addService(fleetProto().AdminService.service, {
        ListHosts: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
          const cn = call.getAuthContext()?.sslPeerCertificate?.subject?.CN;
          peer = Array.isArray(cn) ? cn[0] : cn;
          cb(null, { hosts: [] });
        },
      } as grpc.UntypedServiceImplementation);
      const g = await listenGuarded(
        tls,
        { host: "127.0.0.1", port: 0 },
        grpc.ServerCredentials.createSsl(cert, [{ private_key: key, cert_chain: cert }], true),
        LIMITS,
      );
      const client = new (fleetProto().AdminService)(
        `localhost:${g.port}`,
        grpc.credentials.createSsl(cert, key, cert),
        { "grpc.use_local_subchannel_pool": 1 },
      );
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.ListHosts({}, { deadline: Date.now() + 3_000 }, (e: grpc.ServiceError | null) => resolve(e)),
      );
      client.close();
      g.close();
      tls.forceShutdown();
      expect(err).toBeNull();
      expect(peer).toBe("vft-guard-peer");
    } finally {
      dir.cleanup();
    }
  });
});

describe("unauthenticated connections (requireAuthentication: mTLS)", () => {
  // Scaled down: 10 unauthenticated at once, cut after 3 s.
  const AUTH_LIMITS = {
    perAddress: 100,
    total: 100,
    handshakeMs: 5_000,
    unauthenticated: 10,
    unauthenticatedMs: 3_000,
  };
  let g: GuardedListener;
  let s: grpc.Server;
  beforeAll(async () => {
    s = new grpc.Server(SERVER_CHANNEL_OPTIONS);
    s.addService(fleetProto().AdminService.service, {
      ListHosts: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        // Plays the transport gate: this caller holds a valid certificate.
        const info = call.getPeer().split(":");
        g.authenticated(info[0], Number(info[1]));
        cb(null, { hosts: [] });
      },
    } as grpc.UntypedServiceImplementation);
    g = await listenGuarded(
      s,
      { host: "127.0.0.1", port: 0 },
      grpc.ServerCredentials.createInsecure(),
      AUTH_LIMITS,
      undefined,
      { requireAuthentication: true },
    );
  });
  afterAll(() => {
    g.close();
    s.forceShutdown();
  });

  const openTo = (bytes: string, localAddress = "127.0.0.2") => {
    const sock = connect({ host: "127.0.0.1", port: g.port, localAddress }, () => sock.write(bytes));
    sock.on("error", () => undefined);
    sock.resume(); // read what the server sends (HTTP/2 SETTINGS), so its close is seen
    sockets.push(sock);
    return sock;
  };
  const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

  it("at the cap, a newcomer closes the oldest unauthenticated connection of the busiest address and is served at once", async () => {
    // a client mid-handshake from its own address, then a flood from another filling the cap
    const bystander = openTo(PREFACE, "127.0.0.1");
    await sleep(100);
    const flood = Array.from({ length: AUTH_LIMITS.unauthenticated - 1 }, () => openTo(PREFACE));
    await sleep(200);
    expect(g.stats().unauthenticated).toBe(AUTH_LIMITS.unauthenticated);
    // more flood: each evicts the flood's own oldest, never the bystander (its address holds one)
    const more = [openTo(PREFACE), openTo(PREFACE)];
    await closed(flood[0]!);
    await closed(flood[1]!);
    expect(bystander.destroyed).toBe(false);
    // a real client right away (no grace to wait for): it evicts a flood connection and is served
    const client = new (fleetProto().AdminService)(`127.0.0.1:${g.port}`, grpc.credentials.createInsecure(), {
      "grpc.use_local_subchannel_pool": 1,
    });
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.ListHosts({}, { deadline: Date.now() + 2_000 }, (e: grpc.ServiceError | null) => resolve(e)),
    );
    expect(err).toBeNull();
    expect(g.stats().evicted).toBe(3);
    expect(bystander.destroyed).toBe(false);
    // Unauthenticated ones are cut at their deadline; the authenticated client's connection is not.
    await Promise.all([bystander, ...flood.slice(3), ...more].map(closed));
    await sleep(500);
    expect(g.stats()).toMatchObject({ open: 1, unauthenticated: 0 });
    client.close();
  }, 20_000);
});
