/**
 * Calls in flight on one connection: serial allocation, the wait for each reply with its
 * timeout and abort signal, and the settling of a call by its REPLY packet.
 *
 * Contract:
 * - A serial is never reused while its call is pending or abandoned.
 * - A call that times out (`LibvirtTimeoutError`) or is aborted (the signal's reason) is
 *   abandoned: a late reply to it is dropped quietly (the last 4096 are remembered).
 * - `settle()` throws `ProtocolError` for a reply to a serial never used, a reply naming
 *   another procedure, an undecodable payload or an unknown status; the call concerned,
 *   if any, is rejected with that error first. An error reply rejects the call with
 *   `LibvirtError` and is not a protocol error.
 * - `failAll()` rejects every pending call and forgets abandoned serials (a new socket
 *   starts afresh).
 */
import { ProtocolError } from "../../common/errors.js";
import { MessageStatus, MessageType, REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, procName } from "../constants.js";
import { LibvirtError, LibvirtTimeoutError, decodeRemoteError } from "../errors.js";
import { encodePacket } from "../packet.js";
import { XdrReader, XdrWriter } from "../xdr.js";

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

/** The CALL packet for REMOTE_PROGRAM `procedure`; `encode` writes its args (null: none). */
export function encodeCall(procedure: number, serial: number, encode: ArgsEncoder | null): Buffer {
  const w = new XdrWriter();
  encode?.(w);
  return encodePacket(
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
}

export class PendingCalls {
  private readonly pending = new Map<number, PendingCall>();
  private readonly abandoned = new Set<number>();
  private nextSerial = 1;

  /** @param socketPath named in timeout errors. */
  constructor(private readonly socketPath: string) {}

  allocSerial(): number {
    for (;;) {
      const s = this.nextSerial;
      this.nextSerial = this.nextSerial >= 0xffff_ffff ? 1 : this.nextSerial + 1;
      if (!this.pending.has(s) && !this.abandoned.has(s)) return s;
    }
  }

  /** Waits for the reply to `serial`, decoded by `decode` (null: a void reply). */
  expect<T>(
    serial: number,
    procedure: number,
    decode: ReplyDecoder<T> | null,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<T> {
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
        () => abandon(new LibvirtTimeoutError(procName(procedure), timeoutMs, this.socketPath)),
        timeoutMs,
      );
      timer.unref();
      const onAbort = () => abandon(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      this.pending.set(serial, { procedure, decode, resolve: resolve as (v: unknown) => void, reject, cleanup });
    });
  }

  /** Settles the call that a REPLY packet answers (see the contract for what throws). */
  settle(serial: number, procedure: number, status: number, body: Buffer): void {
    const call = this.pending.get(serial);
    if (!call) {
      if (this.abandoned.delete(serial)) return;
      throw new ProtocolError(`reply to unknown call serial ${serial} (${procName(procedure)})`);
    }
    this.pending.delete(serial);
    call.cleanup();
    const fail = (err: ProtocolError): ProtocolError => {
      call.reject(err);
      return err;
    };
    if (procedure !== call.procedure) {
      throw fail(
        new ProtocolError(
          `reply for serial ${serial} names ${procName(procedure)} but the call was ${procName(call.procedure)}`,
        ),
      );
    }
    const r = new XdrReader(body);
    if (status === MessageStatus.OK) {
      let value: unknown;
      try {
        value = call.decode ? call.decode(r) : undefined;
        r.end();
      } catch (err) {
        throw fail(
          new ProtocolError(`malformed reply to ${procName(procedure)}: ${(err as Error).message}`, { cause: err }),
        );
      }
      call.resolve(value);
    } else if (status === MessageStatus.ERROR) {
      let fields;
      try {
        fields = decodeRemoteError(r);
      } catch (err) {
        throw fail(
          new ProtocolError(`malformed error reply to ${procName(procedure)}: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      }
      call.reject(new LibvirtError(fields, procName(procedure)));
    } else {
      throw fail(new ProtocolError(`reply to ${procName(procedure)} with unexpected status ${status}`));
    }
  }

  /** Rejects every pending call with `err`; abandoned serials are forgotten. */
  failAll(err: unknown): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    this.abandoned.clear();
    for (const c of calls) {
      c.cleanup();
      c.reject(err);
    }
  }
}
