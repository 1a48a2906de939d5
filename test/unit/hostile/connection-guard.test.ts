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
  // Scaled down: 10 unauthenticated at once, cut after 3 s (the 2 s grace before eviction is fixed).
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

  const openTo = (bytes: string) => {
    const sock = connect({ host: "127.0.0.1", port: g.port }, () => sock.write(bytes));
    sock.on("error", () => undefined);
    sock.resume(); // read what the server sends (HTTP/2 SETTINGS), so its close is seen
    sockets.push(sock);
    return sock;
  };

  it("at the cap, a new connection closes the oldest unauthenticated one past the grace; younger ones are not closed (the new one is refused)", async () => {
    const first = Array.from({ length: AUTH_LIMITS.unauthenticated }, () => openTo("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    await sleep(200);
    expect(g.stats().unauthenticated).toBe(AUTH_LIMITS.unauthenticated);
    // All younger than the grace: the next one is refused, none of the first is closed.
    const early = openTo("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    await closed(early);
    expect(first.filter((x) => x.destroyed)).toEqual([]);
    await sleep(2_100);
    // Past the grace: a newcomer (a real client) evicts the oldest and is served.
    const client = new (fleetProto().AdminService)(`127.0.0.1:${g.port}`, grpc.credentials.createInsecure(), {
      "grpc.use_local_subchannel_pool": 1,
    });
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.ListHosts({}, { deadline: Date.now() + 2_000 }, (e: grpc.ServiceError | null) => resolve(e)),
    );
    expect(err).toBeNull();
    await closed(first[0]!);
    expect(g.stats().evicted).toBe(1);
    // Unauthenticated ones are cut at their deadline; the authenticated client's connection is not.
    await Promise.all(first.map(closed));
    expect(g.stats().cutUnauthenticated).toBe(AUTH_LIMITS.unauthenticated - 1);
    // The authenticated client's connection outlives the deadline.
    await sleep(1_000);
    expect(g.stats()).toMatchObject({
      open: 1,
      unauthenticated: 0,
      cutUnauthenticated: AUTH_LIMITS.unauthenticated - 1,
    });
    client.close();
  }, 20_000);
});
