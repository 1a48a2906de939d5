/** Options of a libvirt connection, their defaults and their validation. */
import { DEFAULT_SOCKET_PATH, DEFAULT_URI, MESSAGE_MAX_BYTES } from "../constants.js";

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

export type ResolvedOptions = Required<ConnectionOptions>;

function positiveOption(name: string, v: number | undefined, def: number, allowZero = false): number {
  if (v === undefined) return def;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new RangeError(
      `libvirt connection option ${name} must be a ${allowZero ? "non-negative" : "positive"} number, got ${v}`,
    );
  }
  return v;
}

export function parseConnectionOptions(o: ConnectionOptions = {}): ResolvedOptions {
  return {
    socketPath: o.socketPath ?? DEFAULT_SOCKET_PATH,
    uri: o.uri ?? DEFAULT_URI,
    callTimeoutMs: positiveOption("callTimeoutMs", o.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS),
    connectTimeoutMs: positiveOption("connectTimeoutMs", o.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
    keepaliveIntervalMs: positiveOption(
      "keepaliveIntervalMs",
      o.keepaliveIntervalMs,
      DEFAULT_KEEPALIVE_INTERVAL_MS,
      true,
    ),
    keepaliveCount: positiveOption("keepaliveCount", o.keepaliveCount, DEFAULT_KEEPALIVE_COUNT),
    reconnect: o.reconnect ?? true,
    reconnectInitialDelayMs: positiveOption(
      "reconnectInitialDelayMs",
      o.reconnectInitialDelayMs,
      DEFAULT_RECONNECT_INITIAL_DELAY_MS,
    ),
    reconnectMaxDelayMs: positiveOption("reconnectMaxDelayMs", o.reconnectMaxDelayMs, DEFAULT_RECONNECT_MAX_DELAY_MS),
    maxMessageBytes: positiveOption("maxMessageBytes", o.maxMessageBytes, MESSAGE_MAX_BYTES),
  };
}
