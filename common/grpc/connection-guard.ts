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
  /** Connections open now, and refused or cut since the start. */
  stats(): { open: number; refused: number; cutSilent: number };
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
): Promise<GuardedListener> {
  const injector = server.createConnectionInjector(credentials);
  const perAddress = new Map<string, number>();
  let open = 0;
  let refused = 0;
  let cutSilent = 0;
  const lastLogged = new Map<string, number>();

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
    perAddress.set(address, mine + 1);
    open++;
    let timer: NodeJS.Timeout | undefined;
    socket.once("close", () => {
      clearTimeout(timer);
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
    stats: () => ({ open, refused, cutSilent }),
    close: () => {
      tcp.close();
    },
  };
}
