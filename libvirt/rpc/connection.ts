/**
 * One persistent connection to libvirtd's unix socket: the RPC layer over a
 * `FrameTransport` (../transport/), which only moves frames. Here live serials and
 * pending calls (./calls.ts), routing of frames (./router.ts), keepalive
 * (./keepalive.ts), authentication and CONNECT_OPEN (./handshake.ts), and, in this
 * file, the state machine that ties them together and reconnects.
 *
 * Contract:
 * - `LibvirtConnection.open()` resolves once the socket is connected, authenticated
 *   (auth none, or polkit when the daemon asks for it) and `CONNECT_OPEN` succeeded;
 *   it rejects with `LibvirtConnectionError` (reason `socket-absent`, `access-denied`,
 *   `refused`, ...) otherwise.
 * - Calls may be issued concurrently; replies are matched by serial. Every call has a
 *   timeout (`LibvirtTimeoutError`); a late reply to a timed-out call is dropped.
 * - Keepalive: the daemon's pings are answered; when the daemon supports keepalive we
 *   ping it after `keepaliveIntervalMs` of silence and declare the connection dead after
 *   `keepaliveIntervalMs * (keepaliveCount + 1)` without any byte from it.
 * - A protocol violation by the peer (bad length, unknown program, reply to an unknown
 *   serial, undecodable payload) or the loss of the socket rejects every pending call
 *   with `LibvirtConnectionError` (reason `lost`/`protocol`/`keepalive-timeout`), moves
 *   the state to `disconnected` and, unless disabled, reconnects with jittered capped
 *   backoff. Each state change is delivered to `onStateChange` listeners; every time the
 *   connection becomes `ready`, `generation` increases, so watchers know to re-register
 *   and resync. Calls made while not ready wait for the next `ready` within their timeout.
 * - `close()` sends CONNECT_CLOSE (best effort), ends the socket, rejects what is pending
 *   and moves to `closed`, which is final. Timers never keep the process alive.
 */
import { ProtocolError } from "../../common/errors.js";
import { Proc, procName } from "../constants.js";
import { LibvirtConnectionError, type ConnectionErrorReason } from "../errors.js";
import type { PacketHeader } from "../packet.js";
import { FrameTransport, type FrameSink, type TransportLoss } from "../transport/frame-transport.js";
import { reconnectDelay } from "./backoff.js";
import { PendingCalls, encodeCall, type ArgsEncoder, type CallOptions, type ReplyDecoder } from "./calls.js";
import { handshake } from "./handshake.js";
import { Keepalive } from "./keepalive.js";
import { parseConnectionOptions, type ConnectionOptions, type ResolvedOptions } from "./options.js";
import { ReadyWaiters } from "./ready-waiters.js";
import { routeFrame, type Routes } from "./router.js";
import { ConnectionStateTracker, type ConnectionState, type StateChange } from "./state.js";

export class LibvirtConnection {
  readonly options: ResolvedOptions;
  private transport: FrameTransport | null = null;
  private readonly calls: PendingCalls;
  private readonly keepalive: Keepalive;
  private readonly status = new ConnectionStateTracker();
  private readonly readyWaiters = new ReadyWaiters();
  private readonly messageListeners = new Set<(procedure: number, body: Buffer) => void>();
  private readonly routes: Routes = {
    keepalive: (header: PacketHeader) => this.keepalive.receive(header),
    reply: (header: PacketHeader, body: Buffer) =>
      this.calls.settle(header.serial, header.procedure, header.status, body),
    message: (procedure: number, body: Buffer) => this.deliver(procedure, body),
  };
  private lastError: Error | undefined;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempt = 0;
  private closing = false;

  private constructor(options: ResolvedOptions) {
    this.options = options;
    this.calls = new PendingCalls(options.socketPath);
    this.keepalive = new Keepalive((packet) => this.transport?.send(packet));
  }

  /** Connects, authenticates and opens `uri`; rejects with a clear error when it cannot. */
  static async open(options: ConnectionOptions = {}): Promise<LibvirtConnection> {
    const conn = new LibvirtConnection(parseConnectionOptions(options));
    try {
      await conn.establish();
    } catch (err) {
      conn.closing = true;
      conn.status.set("closed", err as Error);
      throw err;
    }
    return conn;
  }

  get state(): ConnectionState {
    return this.status.state;
  }

  /** How many times the connection has become ready (1 after open, +1 per reconnect). */
  get generation(): number {
    return this.status.generation;
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  /** Registers a state listener; returns a function that removes it. */
  onStateChange(listener: (change: StateChange) => void): () => void {
    return this.status.onChange(listener);
  }

  /**
   * Registers a listener for server-pushed REMOTE_PROGRAM messages (events). A listener
   * that throws `ProtocolError` marks the message as malformed: the connection is reset.
   */
  onMessage(listener: (procedure: number, body: Buffer) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /**
   * Calls a REMOTE_PROGRAM procedure. `encode` writes the args struct (omit for void),
   * `decode` reads the ret struct (omit for void); the reply must be consumed exactly.
   */
  async call<T = void>(
    procedure: number,
    encode?: ArgsEncoder | null,
    decode?: ReplyDecoder<T> | null,
    options: CallOptions = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.options.callTimeoutMs;
    const started = Date.now();
    if (this.state !== "ready") await this.waitReady(procedure, timeoutMs, options.signal);
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    return this.rawCall(procedure, encode ?? null, decode ?? null, { ...options, timeoutMs: left });
  }

  /** Ends the connection for good. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.state === "ready" && this.transport) {
      try {
        await this.rawCall(Proc.CONNECT_CLOSE, null, null, { timeoutMs: 2_000 });
      } catch {
        // best effort: the socket is ended below either way
      }
    }
    const err = this.closedError();
    this.dropTransport(err);
    this.readyWaiters.rejectAll(err);
    this.status.set("closed");
    this.status.removeListeners();
    this.messageListeners.clear();
  }

  // ---- establishing ----

  private async establish(): Promise<void> {
    this.status.set("connecting");
    let transport: FrameTransport | undefined;
    const sink: FrameSink = {
      frame: (frame) => {
        if (transport !== undefined && this.transport === transport) this.onFrame(frame);
      },
      lost: (loss) => {
        if (transport !== undefined && this.transport === transport) this.onLost(loss);
      },
    };
    const o = this.options;
    transport = await FrameTransport.dial(
      { path: o.socketPath, connectTimeoutMs: o.connectTimeoutMs, maxFrameBytes: o.maxMessageBytes },
      sink,
    );
    if (this.closing) {
      transport.destroy();
      throw this.closedError();
    }
    this.transport = transport;
    try {
      const { keepalive } = await handshake((p, e, d, c) => this.rawCall(p, e, d, c), o);
      if (keepalive && o.keepaliveIntervalMs > 0) this.startKeepalive(transport);
    } catch (err) {
      this.dropTransport(err as Error);
      throw err;
    }
    this.reconnectAttempt = 0;
    this.status.ready();
    this.readyWaiters.resolveAll();
  }

  private startKeepalive(transport: FrameTransport): void {
    const o = this.options;
    this.keepalive.start(
      o.keepaliveIntervalMs,
      o.keepaliveCount,
      () => transport.lastReceivedAt,
      (idle) =>
        this.handleLoss(
          this.connError(
            "keepalive-timeout",
            `libvirtd on ${o.socketPath} stopped answering keepalive pings (silent for ${idle} ms)`,
          ),
        ),
    );
  }

  // ---- receiving ----

  private onFrame(frame: Buffer): void {
    try {
      routeFrame(frame, this.routes);
    } catch (err) {
      this.protocolFailure(err);
    }
  }

  private deliver(procedure: number, body: Buffer): void {
    for (const listener of this.messageListeners) {
      try {
        listener(procedure, body);
      } catch (err) {
        if (err instanceof ProtocolError) throw err;
      }
    }
  }

  private onLost(loss: TransportLoss): void {
    if (loss.kind === "framing") {
      this.protocolFailure(loss.error);
      return;
    }
    const detail =
      loss.partialBytes > 0 ? ` in the middle of a packet (${loss.partialBytes} bytes of it received)` : "";
    this.handleLoss(
      this.connError("lost", `libvirtd closed the connection on ${this.options.socketPath}${detail}`, loss.error),
    );
  }

  // ---- sending ----

  private rawCall<T>(
    procedure: number,
    encode: ArgsEncoder | null,
    decode: ReplyDecoder<T> | null,
    options: CallOptions,
  ): Promise<T> {
    const transport = this.transport;
    if (!transport) {
      return Promise.reject(
        this.connError("lost", `libvirt connection to ${this.options.socketPath} is not established`, this.lastError),
      );
    }
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const serial = this.calls.allocSerial();
    let packet: Buffer;
    try {
      packet = encodeCall(procedure, serial, encode);
    } catch (err) {
      return Promise.reject(err);
    }
    const reply = this.calls.expect(
      serial,
      procedure,
      decode,
      options.timeoutMs ?? this.options.callTimeoutMs,
      options.signal,
    );
    transport.send(packet);
    return reply;
  }

  // ---- losing and regaining ----

  private protocolFailure(err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    this.handleLoss(
      this.connError(
        "protocol",
        `libvirtd on ${this.options.socketPath} broke the protocol: ${msg}; reconnecting`,
        err,
      ),
    );
  }

  /** Ends the transport and fails every pending call with `err`. Idempotent. */
  private dropTransport(err: Error): void {
    const transport = this.transport;
    if (!transport) return;
    this.transport = null;
    this.lastError = err;
    this.keepalive.stop();
    transport.destroy();
    this.calls.failAll(err);
  }

  private handleLoss(err: Error): void {
    if (!this.transport) return;
    const wasReady = this.state === "ready";
    this.dropTransport(err);
    if (wasReady && !this.closing) {
      this.status.set("disconnected", err);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closing || !this.options.reconnect) {
      if (!this.closing) this.readyWaiters.rejectAll(this.lastError);
      return;
    }
    const delay = reconnectDelay(
      this.reconnectAttempt,
      this.options.reconnectInitialDelayMs,
      this.options.reconnectMaxDelayMs,
    );
    this.reconnectAttempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.establish().catch((err: Error) => {
        if (this.closing) return;
        this.lastError = err;
        this.status.set("disconnected", err);
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  private waitReady(procedure: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const state = this.state;
    if (state === "ready") return Promise.resolve();
    if (state === "closed" || (!this.options.reconnect && state === "disconnected")) {
      return Promise.reject(
        this.connError(
          this.closing ? "closed" : "lost",
          `libvirt connection to ${this.options.socketPath} is ${state}`,
          this.lastError,
        ),
      );
    }
    return this.readyWaiters.wait(timeoutMs, signal, () =>
      this.connError(
        "lost",
        `libvirt ${procName(procedure)}: the connection to ${this.options.socketPath} is down and did not come back within ${timeoutMs} ms`,
        this.lastError,
      ),
    );
  }

  private closedError(): LibvirtConnectionError {
    return this.connError("closed", `libvirt connection to ${this.options.socketPath} was closed by the client`);
  }

  private connError(reason: ConnectionErrorReason, message: string, cause?: unknown): LibvirtConnectionError {
    return new LibvirtConnectionError(
      reason,
      this.options.socketPath,
      message,
      cause === undefined ? undefined : { cause },
    );
  }
}
