/**
 * Typed errors of the libvirt client.
 *
 * - `LibvirtError`: libvirtd answered a call with an error (remote_error). Its `code` is
 *   `NOT_FOUND` for "no such object" errors (so `isNotFound` from common/errors works)
 *   and `LIBVIRT` otherwise; libvirt's own numbers are in `libvirtCode` / `libvirtDomain`.
 * - `LibvirtConnectionError` (`LIBVIRT_CONNECTION`): the connection could not be made,
 *   was lost, or was closed; `reason` says which.
 * - `LibvirtTimeoutError` (`TIMEOUT`): a call got no reply within its timeout.
 * - Protocol violations by the peer are `ProtocolError` (`PROTOCOL`) from common/errors.
 */
import { VirtfleetError, findInChain } from "../common/errors.js";
import { STRING_MAX } from "./constants.js";
import type { XdrReader } from "./xdr.js";

/** virErrorNumber values with a name; others render as their number. */
export const ErrorCode = {
  OK: 0,
  INTERNAL_ERROR: 1,
  NO_MEMORY: 2,
  NO_SUPPORT: 3,
  NO_CONNECT: 5,
  INVALID_CONN: 6,
  INVALID_DOMAIN: 7,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  XML_ERROR: 27,
  DOM_EXIST: 28,
  OPERATION_DENIED: 29,
  XML_DETAIL: 35,
  INVALID_NETWORK: 36,
  NETWORK_EXIST: 37,
  SYSTEM_ERROR: 38,
  RPC: 39,
  NO_DOMAIN: 42,
  NO_NETWORK: 43,
  AUTH_FAILED: 45,
  INVALID_STORAGE_POOL: 46,
  INVALID_STORAGE_VOL: 47,
  NO_STORAGE_POOL: 49,
  NO_STORAGE_VOL: 50,
  NO_NODE_DEVICE: 53,
  OPERATION_INVALID: 55,
  NO_INTERFACE: 57,
  NO_NWFILTER: 62,
  NO_SECRET: 66,
  CONFIG_UNSUPPORTED: 67,
  OPERATION_TIMEOUT: 68,
  NO_DOMAIN_SNAPSHOT: 72,
  ARGUMENT_UNSUPPORTED: 74,
  STORAGE_POOL_BUILT: 76,
  OPERATION_ABORTED: 78,
  NO_DOMAIN_METADATA: 80,
  OPERATION_UNSUPPORTED: 84,
  AGENT_UNRESPONSIVE: 86,
  RESOURCE_BUSY: 87,
  ACCESS_DENIED: 88,
  STORAGE_VOL_EXIST: 90,
  CPU_INCOMPATIBLE: 91,
  XML_INVALID_SCHEMA: 92,
  AUTH_UNAVAILABLE: 94,
  DEVICE_MISSING: 99,
  NO_NWFILTER_BINDING: 101,
  NO_DOMAIN_CHECKPOINT: 103,
  NO_DOMAIN_BACKUP: 104,
  NO_NETWORK_PORT: 107,
  NO_HOSTNAME: 108,
} as const;

const CODE_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

/** virErrorDomain values with a name. */
const DOMAIN_NAMES = new Map<number, string>([
  [0, "NONE"],
  [5, "XML"],
  [6, "DOM"],
  [7, "RPC"],
  [9, "CONF"],
  [10, "QEMU"],
  [12, "TEST"],
  [13, "REMOTE"],
  [18, "STORAGE"],
  [19, "NETWORK"],
  [20, "DOMAIN"],
  [22, "NODEDEV"],
  [24, "SECURITY"],
  [26, "INTERFACE"],
  [30, "SECRET"],
  [31, "CPU"],
  [33, "NWFILTER"],
  [38, "STREAMS"],
  [40, "EVENT"],
  [44, "CAPABILITIES"],
  [45, "URI"],
  [46, "AUTH"],
  [49, "DEVICE"],
  [55, "ACCESS"],
  [59, "FIREWALL"],
  [60, "POLKIT"],
]);

const NOT_FOUND_CODES: ReadonlySet<number> = new Set([
  ErrorCode.NO_DOMAIN,
  ErrorCode.NO_NETWORK,
  ErrorCode.NO_STORAGE_POOL,
  ErrorCode.NO_STORAGE_VOL,
  ErrorCode.NO_NODE_DEVICE,
  ErrorCode.NO_INTERFACE,
  ErrorCode.NO_NWFILTER,
  ErrorCode.NO_SECRET,
  ErrorCode.NO_DOMAIN_SNAPSHOT,
  ErrorCode.NO_DOMAIN_METADATA,
  ErrorCode.NO_NWFILTER_BINDING,
  ErrorCode.NO_DOMAIN_CHECKPOINT,
  ErrorCode.NO_DOMAIN_BACKUP,
  ErrorCode.NO_NETWORK_PORT,
]);

const INVALID_XML_CODES: ReadonlySet<number> = new Set([
  ErrorCode.XML_ERROR,
  ErrorCode.XML_DETAIL,
  ErrorCode.XML_INVALID_SCHEMA,
]);

export interface RemoteErrorFields {
  code: number;
  domain: number;
  message: string | null;
  level: number;
  str1: string | null;
  str2: string | null;
  str3: string | null;
  int1: number;
  int2: number;
}

export class LibvirtError extends VirtfleetError {
  readonly libvirtCode: number;
  readonly libvirtDomain: number;
  readonly level: number;
  /** The procedure that failed, e.g. `DOMAIN_LOOKUP_BY_NAME`. */
  readonly procedure: string;
  readonly detail: RemoteErrorFields;

  constructor(fields: RemoteErrorFields, procedure: string) {
    const codeName = CODE_NAMES.get(fields.code) ?? String(fields.code);
    const text = fields.message ?? "(libvirt gave no message)";
    super(
      NOT_FOUND_CODES.has(fields.code) ? "NOT_FOUND" : "LIBVIRT",
      `libvirt ${procedure} failed: ${text} [VIR_ERR_${codeName}]`,
    );
    this.libvirtCode = fields.code;
    this.libvirtDomain = fields.domain;
    this.level = fields.level;
    this.procedure = procedure;
    this.detail = fields;
  }

  /** e.g. `NO_DOMAIN`, or the number as a string when unknown. */
  get codeName(): string {
    return CODE_NAMES.get(this.libvirtCode) ?? String(this.libvirtCode);
  }

  /** e.g. `QEMU`, or the number as a string when unknown. */
  get domainName(): string {
    return DOMAIN_NAMES.get(this.libvirtDomain) ?? String(this.libvirtDomain);
  }

  /** libvirt's own message, without our prefix. */
  get libvirtMessage(): string {
    return this.detail.message ?? "";
  }
}

export type ConnectionErrorReason =
  | "socket-absent"
  | "access-denied"
  | "refused"
  | "connect-timeout"
  | "auth-unsupported"
  | "lost"
  | "keepalive-timeout"
  | "protocol"
  | "closed";

export class LibvirtConnectionError extends VirtfleetError {
  readonly reason: ConnectionErrorReason;
  readonly socketPath: string;

  constructor(reason: ConnectionErrorReason, socketPath: string, message: string, options?: { cause?: unknown }) {
    super("LIBVIRT_CONNECTION", message, options);
    this.reason = reason;
    this.socketPath = socketPath;
  }
}

export class LibvirtTimeoutError extends VirtfleetError {
  readonly procedure: string;
  readonly timeoutMs: number;

  constructor(procedure: string, timeoutMs: number, socketPath: string) {
    super(
      "TIMEOUT",
      `libvirt ${procedure} got no reply within ${timeoutMs} ms on ${socketPath}; libvirtd may be hung or overloaded`,
    );
    this.procedure = procedure;
    this.timeoutMs = timeoutMs;
  }
}

/** Decodes a remote_error / virNetMessageError payload. */
export function decodeRemoteError(r: XdrReader): RemoteErrorFields {
  const str = () => r.optional((x) => x.string(STRING_MAX));
  const code = r.int();
  const domain = r.int();
  const message = str();
  const level = r.int();
  // dom (unused): remote_domain = optional { name, uuid[16], id }
  r.optional((x) => {
    x.string(STRING_MAX);
    x.fixedOpaque(16);
    x.int();
  });
  const str1 = str();
  const str2 = str();
  const str3 = str();
  const int1 = r.int();
  const int2 = r.int();
  // net (unused): remote_network = optional { name, uuid[16] }
  r.optional((x) => {
    x.string(STRING_MAX);
    x.fixedOpaque(16);
  });
  return { code, domain, message, level, str1, str2, str3, int1, int2 };
}

function libvirtErrorIn(err: unknown): LibvirtError | undefined {
  return findInChain(err, (e): e is LibvirtError => e instanceof LibvirtError);
}

export function isLibvirtError(err: unknown): boolean {
  return libvirtErrorIn(err) !== undefined;
}

/** The libvirt error code of `err` or its causes, or undefined. */
export function libvirtCodeOf(err: unknown): number | undefined {
  return libvirtErrorIn(err)?.libvirtCode;
}

/** A domain, network, pool, volume (or other object) does not exist. */
export function isLibvirtNotFound(err: unknown): boolean {
  const e = libvirtErrorIn(err);
  return e !== undefined && NOT_FOUND_CODES.has(e.libvirtCode);
}

/** XML was malformed or failed validation. */
export function isInvalidXml(err: unknown): boolean {
  const e = libvirtErrorIn(err);
  return e !== undefined && INVALID_XML_CODES.has(e.libvirtCode);
}

/**
 * An object with that name or UUID already exists. libvirt reports a duplicate
 * name/UUID on define as OPERATION_FAILED, so that case is recognised by its message.
 */
export function isAlreadyExists(err: unknown): boolean {
  const e = libvirtErrorIn(err);
  if (!e) return false;
  if (e.libvirtCode === ErrorCode.DOM_EXIST || e.libvirtCode === ErrorCode.NETWORK_EXIST) return true;
  if (e.libvirtCode === ErrorCode.STORAGE_VOL_EXIST) return true;
  return e.libvirtCode === ErrorCode.OPERATION_FAILED && /already (exists|defined)/i.test(e.libvirtMessage);
}

/**
 * The pool is busy: libvirt refuses to refresh (or delete from) a pool while a volume is being
 * created, built or uploaded in it ("pool 'x' has asynchronous jobs running", INTERNAL_ERROR).
 */
export function isPoolBusy(err: unknown): boolean {
  const e = libvirtErrorIn(err);
  return (
    e !== undefined && e.libvirtCode === ErrorCode.INTERNAL_ERROR && /asynchronous jobs running/i.test(e.libvirtMessage)
  );
}

/** The operation is not valid in the object's current state (e.g. already running). */
export function isOperationInvalid(err: unknown): boolean {
  return libvirtCodeOf(err) === ErrorCode.OPERATION_INVALID;
}

export function isConnectionError(err: unknown): boolean {
  return findInChain(err, (e): e is LibvirtConnectionError => e instanceof LibvirtConnectionError) !== undefined;
}

export function isTimeout(err: unknown): boolean {
  return findInChain(err, (e): e is LibvirtTimeoutError => e instanceof LibvirtTimeoutError) !== undefined;
}
