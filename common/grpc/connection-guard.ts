import type * as grpc from "@grpc/grpc-js";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import type { Logger } from "pino";
import { formatHostPort, type HostPort } from "../address.js";
import { CONNECTION_LIMITS, type ConnectionLimits } from "./limits.js";

/** Bytes of the HTTP/2 client preface; a TLS ClientHello is longer. */
const PREFACE_BYTES = 24;
/** A refused address is logged at most this often. */
const LOG_EVERY_MS = 60_000;
/** Pending connections the kernel may queue for accept(). */
const LISTEN_BACKLOG = 16_384;

export interface GuardedListener {
  port: number;
  /** Connections open now (and how many of them unauthenticated), and refused or cut since the start. */
  stats(): {
    open: number;
    unauthenticated: number;
    refused: number;
    cutSilent: number;
    cutUnauthenticated: number;
    evicted: number;
  };
  /**
   * The connection from `remoteAddress`:`remotePort` made a call with a valid client
   * certificate (the transport gate says so): from now on it is never cut for being
   * unauthenticated. Unknown connections are ignored.
   */
  authenticated(remoteAddress: string | undefined, remotePort: number | undefined): void;
  /** Stops accepting (at once); existing connections are the gRPC server's to end (tryShutdown/forceShutdown). */
  close(): void;
}

/**
 * Listens on `listen` with a plain TCP server and hands each accepted connection to the
 * gRPC `server` through grpc-js's public connection injector (`createConnectionInjector`,
 * grpc-js ≥ 1.12), instead of `bindAsync`: grpc-js exposes no per-connection limits, and
 * a peer can otherwise hold any number of sockets that never finish a handshake (each an
 * open file descriptor; at the process's limit the controller could not open its store).
 *
 * Contract:
 * - at most `limits.perAddress` connections from one remote address and `limits.total`
 *   in all; a connection over either is closed at once, before any byte is read;
 * - a connection is held by the guard until it has sent `PREFACE_BYTES` (the HTTP/2 preface;
 *   a TLS ClientHello is longer), then handed over with those bytes put back; one that has
 *   not sent them within `limits.handshakeMs` is closed, never having cost an HTTP/2 session;
 * - with `requireAuthentication` (mTLS), a connection is unauthenticated until the caller
 *   reports a call on it with a valid client certificate (`authenticated`). An
 *   unauthenticated connection is closed `limits.unauthenticatedMs` after it was accepted
 *   (idle after TLS, a slow HTTP/2 preface, an Enroll stream that never finishes: enrolment
 *   takes milliseconds), and at most `limits.unauthenticated` are held: past it, a new
 *   connection closes the oldest unauthenticated one of the address holding the most
 *   (makeRoom), so unauthenticated peers can never take the slots agents and admins need. Authenticated connections are never cut by the guard;
 * - everything else (TLS with the server credentials, HTTP/2, keepalive, message limits)
 *   is grpc-js's, exactly as with `bindAsync(…, credentials)`.
 * Rejects with the listen error (e.g. EADDRINUSE).
 */
export async function listenGuarded(
  server: grpc.Server,
  listen: HostPort,
  credentials: grpc.ServerCredentials,
  limits: ConnectionLimits = CONNECTION_LIMITS,
  log?: Logger,
  options: { requireAuthentication?: boolean } = {},
): Promise<GuardedListener> {
  const injector = server.createConnectionInjector(credentials);
  const perAddress = new Map<string, number>();
  let open = 0;
  let refused = 0;
  let cutSilent = 0;
  const lastLogged = new Map<string, number>();
  const unauth = new UnauthenticatedConnections(limits, log);
  const requireAuthentication = options.requireAuthentication === true;

  const refuse = (socket: Socket, address: string, why: string) => {
    refused++;
    socket.destroy();
    const now = Date.now();
    if ((lastLogged.get(address) ?? 0) + LOG_EVERY_MS > now) return;
    if (lastLogged.size > 10_000) lastLogged.clear();
    lastLogged.set(address, now);
    log?.warn(
      { peer: address, open, limitPerAddress: limits.perAddress, limitTotal: limits.total },
      `connection refused: ${why} (logged once a minute per address)`,
    );
  };

  const tcp: NetServer = createServer((socket) => {
    const address = socket.remoteAddress ?? "unknown";
    const mine = perAddress.get(address) ?? 0;
    if (mine >= limits.perAddress) return refuse(socket, address, `${mine} connections from ${address} already`);
    if (open >= limits.total) return refuse(socket, address, `${open} connections open in all`);
    if (requireAuthentication) unauth.makeRoom();
    perAddress.set(address, mine + 1);
    open++;
    if (requireAuthentication) unauth.add(socket);
    let timer: NodeJS.Timeout | undefined;
    socket.once("close", () => {
      clearTimeout(timer);
      unauth.remove(socket);
      open--;
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n <= 0) perAddress.delete(address);
      else perAddress.set(address, n);
    });
    socket.on("error", () => undefined);
    // Held here until its first bytes arrive; only then does grpc-js (TLS, HTTP/2) see it.
    // Once injected, a socket belongs to its HTTP/2 session and cannot be cut from outside.
    const chunks: Buffer[] = [];
    let got = 0;
    timer = setTimeout(() => {
      cutSilent++;
      socket.destroy();
    }, limits.handshakeMs);
    timer.unref();
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got < PREFACE_BYTES) return;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.pause();
      socket.unshift(Buffer.concat(chunks));
      // The close listener above keeps this scope's closure context for the socket's whole
      // life: let go of the first bytes (a TLS ClientHello) and the spent timer.
      chunks.length = 0;
      timer = undefined;
      injector.injectConnection(socket);
    };
    socket.on("data", onData);
  });
  tcp.maxConnections = limits.total + limits.perAddress;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    tcp.once("error", onError);
    // A deep accept queue: a reconnect storm of thousands of agents must not overflow it
    // (dropped SYNs cost each agent a 1 s, then 3 s, retransmit). The kernel caps it at somaxconn.
    tcp.listen({ host: listen.host, port: listen.port, backlog: LISTEN_BACKLOG }, () => {
      tcp.off("error", onError);
      resolve();
    });
  });
  tcp.on("error", (err) => log?.error({ listen: formatHostPort(listen), err: err.message }, "listener error"));
  const addr = tcp.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : listen.port;
  return {
    port,
    stats: () => ({ open, refused, cutSilent, ...unauth.stats() }),
    authenticated: (remoteAddress, remotePort) => unauth.authenticated(remoteAddress, remotePort),
    close: () => {
      tcp.close();
    },
  };
}

/**
 * The unauthenticated connections of one listener, oldest first (Map order), keyed by
 * remote address and port (what a gRPC call reports as its connection's peer).
 */
class UnauthenticatedConnections {
  private readonly byPeer = new Map<string, { socket: Socket; since: number; timer: NodeJS.Timeout }>();
  private cut = 0;
  private evicted = 0;
  private lastLogged = 0;

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly log: Logger | undefined,
  ) {}

  get size(): number {
    return this.byPeer.size;
  }

  add(socket: Socket): void {
    const timer = setTimeout(() => {
      this.cut++;
      this.note("closed: unauthenticated for too long");
      socket.destroy();
    }, this.limits.unauthenticatedMs);
    timer.unref();
    this.byPeer.set(peerKey(socket.remoteAddress, socket.remotePort), { socket, since: Date.now(), timer });
  }

  remove(socket: Socket): void {
    const key = peerKey(socket.remoteAddress, socket.remotePort);
    const held = this.byPeer.get(key);
    if (held?.socket !== socket) return;
    clearTimeout(held.timer);
    this.byPeer.delete(key);
  }

  authenticated(remoteAddress: string | undefined, remotePort: number | undefined): void {
    const held = this.byPeer.get(peerKey(remoteAddress, remotePort));
    if (held) this.remove(held.socket);
  }

  /**
   * Makes room for one more: below the cap nothing happens; at the cap, the oldest
   * unauthenticated connection of the remote address that holds the most of them is closed
   * (ties: the address of the oldest). A newcomer is never refused for this cap, and a flood
   * from some addresses evicts itself before it can touch a client holding one connection
   * from its own address mid-handshake.
   */
  makeRoom(): void {
    if (this.byPeer.size < this.limits.unauthenticated) return;
    const perAddress = new Map<string, number>();
    let busiest = "";
    let most = 0;
    for (const { socket } of this.byPeer.values()) {
      const address = socket.remoteAddress ?? "";
      const n = (perAddress.get(address) ?? 0) + 1;
      perAddress.set(address, n);
      if (n > most) [busiest, most] = [address, n];
    }
    for (const [key, held] of this.byPeer) {
      if ((held.socket.remoteAddress ?? "") !== busiest) continue;
      this.evicted++;
      this.note("closed to make room for a new connection");
      clearTimeout(held.timer);
      this.byPeer.delete(key);
      held.socket.destroy();
      return;
    }
  }

  stats(): { unauthenticated: number; cutUnauthenticated: number; evicted: number } {
    return { unauthenticated: this.byPeer.size, cutUnauthenticated: this.cut, evicted: this.evicted };
  }

  /** Logged at most once a minute, with the counts so far. */
  private note(what: string): void {
    const now = Date.now();
    if (this.lastLogged + LOG_EVERY_MS > now) return;
    this.lastLogged = now;
    this.log?.warn(
      { unauthenticated: this.byPeer.size, cutUnauthenticated: this.cut, evicted: this.evicted, limits: this.limits },
      `unauthenticated connection ${what} (no call with a valid client certificate; logged once a minute)`,
    );
  }
}

function peerKey(address: string | undefined, port: number | undefined): string {
  return `${address ?? "?"}|${port ?? "?"}`;
}
