/**
 * One persistent connection to libvirtd's unix socket.
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
import net from "node:net";
import { ProtocolError } from "../../common/errors.js";
import {
  AUTH_TYPE_LIST_MAX,
  AuthType,
  DEFAULT_SOCKET_PATH,
  DEFAULT_URI,
  DrvFeature,
  KEEPALIVE_PROC_PING,
  KEEPALIVE_PROC_PONG,
  KEEPALIVE_PROGRAM,
  KEEPALIVE_PROTOCOL_VERSION,
  MESSAGE_MAX_BYTES,
  MessageStatus,
  MessageType,
  Proc,
  REMOTE_PROGRAM,
  REMOTE_PROTOCOL_VERSION,
  STRING_MAX,
  procName,
} from "./constants.js";
import {
  LibvirtConnectionError,
  LibvirtError,
  LibvirtTimeoutError,
  decodeRemoteError,
  type ConnectionErrorReason,
} from "./errors.js";
import { FrameDecoder, decodePacket, encodePacket } from "./packet.js";
import { XdrReader, XdrWriter } from "./xdr.js";

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 5_000;
export const DEFAULT_KEEPALIVE_COUNT = 5;
export const DEFAULT_RECONNECT_INITIAL_DELAY_MS = 100;
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 5_000;

export interface ConnectionOptions {
  /** Unix socket of libvirtd; default `/var/run/libvirt/libvirt-sock`. */
  socketPath?: string;
  /** URI passed to CONNECT_OPEN; default `qemu:///system`. */
  uri?: string;
  callTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** 0 disables our own pings (daemon pings are still answered). */
  keepaliveIntervalMs?: number;
  keepaliveCount?: number;
  /** Reconnect automatically after the connection is lost; default true. */
  reconnect?: boolean;
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Largest packet (header + payload) accepted from the daemon. */
  maxMessageBytes?: number;
}

type ResolvedOptions = Required<ConnectionOptions>;

function positiveOption(name: string, v: number | undefined, def: number, allowZero = false): number {
  if (v === undefined) return def;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new RangeError(`libvirt connection option ${name} must be a ${allowZero ? "non-negative" : "positive"} number, got ${v}`);
  }
  return v;
}

export function parseConnectionOptions(o: ConnectionOptions = {}): ResolvedOptions {
  return {
    socketPath: o.socketPath ?? DEFAULT_SOCKET_PATH,
    uri: o.uri ?? DEFAULT_URI,
    callTimeoutMs: positiveOption("callTimeoutMs", o.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS),
    connectTimeoutMs: positiveOption("connectTimeoutMs", o.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
    keepaliveIntervalMs: positiveOption("keepaliveIntervalMs", o.keepaliveIntervalMs, DEFAULT_KEEPALIVE_INTERVAL_MS, true),
    keepaliveCount: positiveOption("keepaliveCount", o.keepaliveCount, DEFAULT_KEEPALIVE_COUNT),
    reconnect: o.reconnect ?? true,
    reconnectInitialDelayMs: positiveOption("reconnectInitialDelayMs", o.reconnectInitialDelayMs, DEFAULT_RECONNECT_INITIAL_DELAY_MS),
    reconnectMaxDelayMs: positiveOption("reconnectMaxDelayMs", o.reconnectMaxDelayMs, DEFAULT_RECONNECT_MAX_DELAY_MS),
    maxMessageBytes: positiveOption("maxMessageBytes", o.maxMessageBytes, MESSAGE_MAX_BYTES),
  };
}

export type ConnectionState = "connecting" | "ready" | "disconnected" | "closed";

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Number of times the connection has become ready so far. */
  generation: number;
  /** Why the connection left `ready` or failed to get there. */
  error?: Error;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type ArgsEncoder = (w: XdrWriter) => void;
export type ReplyDecoder<T> = (r: XdrReader) => T;

interface PendingCall {
  procedure: number;
  decode: ReplyDecoder<unknown> | null;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  cleanup: () => void;
}

const ABANDONED_MAX = 4096;

export class LibvirtConnection {
  readonly options: ResolvedOptions;
  private socket: net.Socket | null = null;
  private decoder: FrameDecoder;
  private readonly pending = new Map<number, PendingCall>();
  private readonly abandoned = new Set<number>();
  private nextSerial = 1;
  private currentState: ConnectionState = "connecting";
  private readyCount = 0;
  private lastError: Error | undefined;
  private readonly stateListeners = new Set<(c: StateChange) => void>();
  private readonly messageListeners = new Set<(procedure: number, body: Buffer) => void>();
  private readonly readyWaiters = new Set<{ resolve: () => void; reject: (e: unknown) => void }>();
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private lastReceived = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectAttempt = 0;
  private closing = false;

  private constructor(options: ResolvedOptions) {
    this.options = options;
    this.decoder = new FrameDecoder(options.maxMessageBytes);
  }

  /** Connects, authenticates and opens `uri`; rejects with a clear error when it cannot. */
  static async open(options: ConnectionOptions = {}): Promise<LibvirtConnection> {
    const conn = new LibvirtConnection(parseConnectionOptions(options));
    try {
      await conn.establish();
    } catch (err) {
      conn.closing = true;
      conn.setState("closed", err as Error);
      throw err;
    }
    return conn;
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** How many times the connection has become ready (1 after open, +1 per reconnect). */
  get generation(): number {
    return this.readyCount;
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  /** Registers a state listener; returns a function that removes it. */
  onStateChange(listener: (change: StateChange) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
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
    if (this.currentState !== "ready") await this.waitReady(procedure, timeoutMs, options.signal);
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    return this.rawCall(procedure, encode ?? null, decode ?? null, { ...options, timeoutMs: left });
  }

  /** Ends the connection for good. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.currentState === "closed") return;
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.currentState === "ready" && this.socket) {
      try {
        await this.rawCall(Proc.CONNECT_CLOSE, null, null, { timeoutMs: 2_000 });
      } catch {
        // best effort: the socket is ended below either way
      }
    }
    const err = this.connError("closed", `libvirt connection to ${this.options.socketPath} was closed by the client`);
    this.dropSocket(err);
    for (const w of this.readyWaiters) w.reject(err);
    this.readyWaiters.clear();
    this.setState("closed");
    this.stateListeners.clear();
    this.messageListeners.clear();
  }

  // ---- establishing ----

  private async establish(): Promise<void> {
    this.setState("connecting");
    const socket = await this.connectSocket();
    if (this.closing) {
      socket.destroy();
      throw this.connError("closed", `libvirt connection to ${this.options.socketPath} was closed by the client`);
    }
    this.attach(socket);
    try {
      await this.handshake();
    } catch (err) {
      this.dropSocket(err as Error);
      throw err;
    }
    this.readyCount++;
    this.reconnectAttempt = 0;
    this.setState("ready");
    for (const w of this.readyWaiters) w.resolve();
    this.readyWaiters.clear();
  }

  private connectSocket(): Promise<net.Socket> {
    const path = this.options.socketPath;
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ path });
      const timer = setTimeout(() => {
        s.destroy();
        reject(this.connError("connect-timeout", `connecting to libvirt socket ${path} timed out after ${this.options.connectTimeoutMs} ms`));
      }, this.options.connectTimeoutMs);
      timer.unref();
      const onError = (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(this.mapConnectError(err));
      };
      s.once("error", onError);
      s.once("connect", () => {
        clearTimeout(timer);
        s.removeListener("error", onError);
        resolve(s);
      });
    });
  }

  private mapConnectError(err: NodeJS.ErrnoException): LibvirtConnectionError {
    const path = this.options.socketPath;
    switch (err.code) {
      case "ENOENT":
        return this.connError("socket-absent", `libvirt socket ${path} does not exist; is libvirtd running? (start it with \`libvirtd -d\`)`, err);
      case "EACCES":
      case "EPERM":
        return this.connError("access-denied", `permission denied opening libvirt socket ${path}; run as root or as a member of the libvirt group`, err);
      case "ECONNREFUSED":
        return this.connError("refused", `nothing is listening on libvirt socket ${path}; libvirtd is not running (stale socket)`, err);
      default:
        return this.connError("refused", `cannot connect to libvirt socket ${path}: ${err.message}`, err);
    }
  }

  private async handshake(): Promise<void> {
    const opts = { timeoutMs: this.options.callTimeoutMs };
    const auth = await this.rawCall(Proc.AUTH_LIST, null, (r) => r.array(AUTH_TYPE_LIST_MAX, (x) => x.int()), opts);
    if (!auth.includes(AuthType.NONE)) {
      if (auth.includes(AuthType.POLKIT)) {
        await this.rawCall(Proc.AUTH_POLKIT, null, (r) => r.int(), opts);
      } else {
        throw this.connError(
          "auth-unsupported",
          `libvirtd on ${this.options.socketPath} requires SASL authentication, which this client does not implement; configure auth_unix_rw = "none" or "polkit"`,
        );
      }
    }
    const uri = this.options.uri;
    await this.rawCall(Proc.CONNECT_OPEN, (w) => {
      w.optional(uri, (x, s) => x.string(s, STRING_MAX));
      w.uint(0);
    }, null, opts);
    const keepalive = await this.rawCall(Proc.CONNECT_SUPPORTS_FEATURE, (w) => w.int(DrvFeature.PROGRAM_KEEPALIVE), (r) => r.int(), opts);
    if (keepalive === 1 && this.options.keepaliveIntervalMs > 0) this.startKeepalive();
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    this.decoder = new FrameDecoder(this.options.maxMessageBytes);
    this.lastReceived = Date.now();
    socket.on("data", (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.onData(chunk);
    });
    let socketError: Error | undefined;
    socket.on("error", (err) => {
      socketError = err;
    });
    socket.on("close", () => {
      if (this.socket !== socket) return;
      const pendingBytes = this.decoder.pending;
      const detail = pendingBytes > 0 ? ` in the middle of a packet (${pendingBytes} bytes of it received)` : "";
      this.handleLoss(
        this.connError("lost", `libvirtd closed the connection on ${this.options.socketPath}${detail}`, socketError),
      );
    });
  }

  // ---- receiving ----

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    const socket = this.socket;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.protocolFailure(err);
      return;
    }
    for (const frame of frames) {
      try {
        this.dispatch(frame);
      } catch (err) {
        this.protocolFailure(err);
        return;
      }
      if (this.socket !== socket) return;
    }
  }

  private dispatch(frame: Buffer): void {
    const { header, body } = decodePacket(frame);
    if (header.program === KEEPALIVE_PROGRAM) {
      if (header.type !== MessageType.MESSAGE) throw new ProtocolError(`keepalive packet of type ${header.type}`);
      if (header.procedure === KEEPALIVE_PROC_PING) this.sendKeepalive(KEEPALIVE_PROC_PONG);
      else if (header.procedure !== KEEPALIVE_PROC_PONG) throw new ProtocolError(`unknown keepalive procedure ${header.procedure}`);
      return;
    }
    if (header.program !== REMOTE_PROGRAM) {
      throw new ProtocolError(`packet for unknown program 0x${header.program.toString(16)}`);
    }
    if (header.version !== REMOTE_PROTOCOL_VERSION) {
      throw new ProtocolError(`packet with unsupported protocol version ${header.version}`);
    }
    if (header.type === MessageType.REPLY) {
      this.dispatchReply(header.serial, header.procedure, header.status, body);
    } else if (header.type === MessageType.MESSAGE) {
      for (const listener of this.messageListeners) {
        try {
          listener(header.procedure, body);
        } catch (err) {
          if (err instanceof ProtocolError) throw err;
        }
      }
    } else {
      throw new ProtocolError(`unexpected packet type ${header.type} for ${procName(header.procedure)}`);
    }
  }

  private dispatchReply(serial: number, procedure: number, status: number, body: Buffer): void {
    const call = this.pending.get(serial);
    if (!call) {
      if (this.abandoned.delete(serial)) return;
      throw new ProtocolError(`reply to unknown call serial ${serial} (${procName(procedure)})`);
    }
    this.pending.delete(serial);
    call.cleanup();
    if (procedure !== call.procedure) {
      const err = new ProtocolError(
        `reply for serial ${serial} names ${procName(procedure)} but the call was ${procName(call.procedure)}`,
      );
      call.reject(err);
      throw err;
    }
    const r = new XdrReader(body);
    if (status === MessageStatus.OK) {
      let value: unknown;
      try {
        value = call.decode ? call.decode(r) : undefined;
        r.end();
      } catch (err) {
        const wrapped = new ProtocolError(`malformed reply to ${procName(procedure)}: ${(err as Error).message}`, { cause: err });
        call.reject(wrapped);
        throw wrapped;
      }
      call.resolve(value);
    } else if (status === MessageStatus.ERROR) {
      let fields;
      try {
        fields = decodeRemoteError(r);
      } catch (err) {
        const wrapped = new ProtocolError(`malformed error reply to ${procName(procedure)}: ${(err as Error).message}`, { cause: err });
        call.reject(wrapped);
        throw wrapped;
      }
      call.reject(new LibvirtError(fields, procName(procedure)));
    } else {
      const err = new ProtocolError(`reply to ${procName(procedure)} with unexpected status ${status}`);
      call.reject(err);
      throw err;
    }
  }

  // ---- sending ----

  private rawCall<T>(
    procedure: number,
    encode: ArgsEncoder | null,
    decode: ReplyDecoder<T> | null,
    options: CallOptions,
  ): Promise<T> {
    const socket = this.socket;
    if (!socket) {
      return Promise.reject(this.connError("lost", `libvirt connection to ${this.options.socketPath} is not established`, this.lastError));
    }
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    let packet: Buffer;
    const serial = this.allocSerial();
    try {
      const w = new XdrWriter();
      encode?.(w);
      packet = encodePacket(
        {
          program: REMOTE_PROGRAM,
          version: REMOTE_PROTOCOL_VERSION,
          procedure,
          type: MessageType.CALL,
          serial,
          status: MessageStatus.OK,
        },
        w.bytes(),
      );
    } catch (err) {
      return Promise.reject(err);
    }
    const timeoutMs = options.timeoutMs ?? this.options.callTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const abandon = (err: unknown) => {
        if (!this.pending.has(serial)) return;
        this.pending.delete(serial);
        this.abandoned.add(serial);
        if (this.abandoned.size > ABANDONED_MAX) {
          const oldest = this.abandoned.values().next().value;
          if (oldest !== undefined) this.abandoned.delete(oldest);
        }
        cleanup();
        reject(err);
      };
      const timer = setTimeout(
        () => abandon(new LibvirtTimeoutError(procName(procedure), timeoutMs, this.options.socketPath)),
        timeoutMs,
      );
      timer.unref();
      const onAbort = () => abandon(options.signal?.reason);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      };
      this.pending.set(serial, { procedure, decode, resolve: resolve as (v: unknown) => void, reject, cleanup });
      socket.write(packet);
    });
  }

  private allocSerial(): number {
    for (;;) {
      const s = this.nextSerial;
      this.nextSerial = this.nextSerial >= 0xffff_ffff ? 1 : this.nextSerial + 1;
      if (!this.pending.has(s) && !this.abandoned.has(s)) return s;
    }
  }

  private sendKeepalive(procedure: number): void {
    this.socket?.write(
      encodePacket({
        program: KEEPALIVE_PROGRAM,
        version: KEEPALIVE_PROTOCOL_VERSION,
        procedure,
        type: MessageType.MESSAGE,
        serial: 0,
        status: MessageStatus.OK,
      }),
    );
  }

  private startKeepalive(): void {
    this.stopKeepalive();
    const interval = this.options.keepaliveIntervalMs;
    const deadAfter = interval * (this.options.keepaliveCount + 1);
    const tick = Math.max(10, Math.floor(interval / 2));
    this.keepaliveTimer = setInterval(() => {
      const idle = Date.now() - this.lastReceived;
      if (idle >= deadAfter) {
        this.handleLoss(
          this.connError("keepalive-timeout", `libvirtd on ${this.options.socketPath} stopped answering keepalive pings (silent for ${idle} ms)`),
        );
      } else if (idle >= interval) {
        this.sendKeepalive(KEEPALIVE_PROC_PING);
      }
    }, tick);
    this.keepaliveTimer.unref();
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
  }

  // ---- losing and regaining ----

  private protocolFailure(err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    this.handleLoss(this.connError("protocol", `libvirtd on ${this.options.socketPath} broke the protocol: ${msg}; reconnecting`, err));
  }

  /** Tears down the socket and fails every pending call with `err`. Idempotent. */
  private dropSocket(err: Error): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    this.lastError = err;
    this.stopKeepalive();
    socket.removeAllListeners("data");
    socket.on("error", () => {});
    socket.destroy();
    const calls = [...this.pending.values()];
    this.pending.clear();
    this.abandoned.clear();
    for (const c of calls) {
      c.cleanup();
      c.reject(err);
    }
  }

  private handleLoss(err: Error): void {
    if (!this.socket) return;
    const wasReady = this.currentState === "ready";
    this.dropSocket(err);
    if (wasReady && !this.closing) {
      this.setState("disconnected", err);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closing || !this.options.reconnect) {
      if (!this.closing) {
        for (const w of this.readyWaiters) w.reject(this.lastError);
        this.readyWaiters.clear();
      }
      return;
    }
    const base = Math.min(
      this.options.reconnectMaxDelayMs,
      this.options.reconnectInitialDelayMs * 2 ** Math.min(this.reconnectAttempt, 20),
    );
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.reconnectAttempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.establish().catch((err: Error) => {
        if (this.closing) return;
        this.lastError = err;
        this.setState("disconnected", err);
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  private waitReady(procedure: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.currentState === "ready") return Promise.resolve();
    if (this.currentState === "closed" || (!this.options.reconnect && this.currentState === "disconnected")) {
      return Promise.reject(
        this.connError(this.closing ? "closed" : "lost", `libvirt connection to ${this.options.socketPath} is ${this.currentState}`, this.lastError),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          cleanup();
          resolve();
        },
        reject: (e: unknown) => {
          cleanup();
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.readyWaiters.delete(waiter);
        cleanup();
        reject(
          this.connError(
            "lost",
            `libvirt ${procName(procedure)}: the connection to ${this.options.socketPath} is down and did not come back within ${timeoutMs} ms`,
            this.lastError,
          ),
        );
      }, timeoutMs);
      timer.unref();
      const onAbort = () => {
        this.readyWaiters.delete(waiter);
        cleanup();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      this.readyWaiters.add(waiter);
    });
  }

  private setState(state: ConnectionState, error?: Error): void {
    const previous = this.currentState;
    if (previous === "closed") return;
    this.currentState = state;
    const change: StateChange = { state, previous, generation: this.readyCount, ...(error ? { error } : {}) };
    for (const l of [...this.stateListeners]) {
      try {
        l(change);
      } catch {
        // a listener's failure must not break the connection
      }
    }
  }

  private connError(reason: ConnectionErrorReason, message: string, cause?: unknown): LibvirtConnectionError {
    return new LibvirtConnectionError(reason, this.options.socketPath, message, cause === undefined ? undefined : { cause });
  }
}
