/**
 * The byte transport under the RPC layer: one connected unix socket, cut into frames.
 * Like go-libvirt's socket package it knows nothing of programs, procedures, serials,
 * authentication or keepalive: it moves whole frames in and out and says when the socket
 * is gone.
 *
 * Contract:
 * - `FrameTransport.dial()` resolves once the socket is connected (errors: see ./dial.ts).
 * - Every complete frame (24-byte header + payload, without the length word) is handed to
 *   `sink.frame` in arrival order, however the bytes were chunked by the socket. A length
 *   outside [header size, `maxFrameBytes`] is rejected before the body is buffered, and
 *   then no frame of the chunk that carried it is delivered.
 * - `sink.lost` is called at most once: when the peer closes or the socket fails
 *   (`closed`, with the bytes of an unfinished frame already received and the socket's
 *   error if any), or when the byte stream cannot be framed (`framing`). The socket is
 *   destroyed and no frame is delivered after it, not even the rest of the same chunk.
 * - `destroy()` ends the socket without calling `sink.lost`; frames not yet handed over
 *   are dropped. `send()` queues a packet in order (the socket buffers it) and returns
 *   false, sending nothing, once the transport has ended.
 * - `lastReceivedAt` is when the last byte arrived (or the socket connected), for a
 *   liveness check above.
 */
import type net from "node:net";
import { FrameDecoder } from "../packet.js";
import { dialUnix } from "./dial.js";

export type TransportLoss =
  /** The socket closed (by the peer or an error); `partialBytes` of a frame were pending. */
  | { kind: "closed"; partialBytes: number; error?: Error }
  /** The peer sent bytes that are not a frame (impossible length). */
  | { kind: "framing"; error: Error };

export interface FrameSink {
  /** One whole frame. Must not throw. */
  frame(frame: Buffer): void;
  /** The transport is gone; called at most once, never after `destroy()`. */
  lost(loss: TransportLoss): void;
}

export interface DialOptions {
  path: string;
  connectTimeoutMs: number;
  /** Largest frame (header + payload) accepted. */
  maxFrameBytes: number;
}

export class FrameTransport {
  private readonly decoder: FrameDecoder;
  private socketError: Error | undefined;
  private ended = false;
  private received: number = Date.now();

  static async dial(options: DialOptions, sink: FrameSink): Promise<FrameTransport> {
    let transport: FrameTransport | undefined;
    await dialUnix(options.path, options.connectTimeoutMs, (socket) => {
      transport = new FrameTransport(socket, sink, options.maxFrameBytes);
    });
    return transport!;
  }

  /** Wraps an already connected socket. */
  constructor(
    private readonly socket: net.Socket,
    private readonly sink: FrameSink,
    maxFrameBytes: number,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => {
      this.socketError = err;
    });
    socket.on("close", () => {
      const partialBytes = this.decoder.pending;
      this.finish({ kind: "closed", partialBytes, ...(this.socketError ? { error: this.socketError } : {}) });
    });
  }

  /** Milliseconds timestamp of the last byte received (or of the connect). */
  get lastReceivedAt(): number {
    return this.received;
  }

  /** False once the transport was lost or destroyed. */
  get open(): boolean {
    return !this.ended;
  }

  /** Queues one complete packet (length word included); false when the transport has ended. */
  send(packet: Uint8Array): boolean {
    if (this.ended) return false;
    this.socket.write(packet);
    return true;
  }

  /** Ends the socket without signalling a loss. Idempotent. */
  destroy(): void {
    if (!this.ended) this.teardown();
  }

  private onData(chunk: Buffer): void {
    if (this.ended) return;
    this.received = Date.now();
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.finish({ kind: "framing", error: err as Error });
      return;
    }
    for (const frame of frames) {
      this.sink.frame(frame);
      if (this.ended) return;
    }
  }

  private finish(loss: TransportLoss): void {
    if (this.ended) return;
    this.teardown();
    this.sink.lost(loss);
  }

  private teardown(): void {
    this.ended = true;
    this.socket.removeAllListeners("data");
    this.socket.on("error", () => {});
    this.socket.destroy();
  }
}
