/**
 * A scriptable fake libvirtd on a unix socket, for faults a real daemon cannot be made
 * to produce (torn frames, hangs, hostile lengths). It answers the handshake
 * (AUTH_LIST, CONNECT_OPEN, SUPPORTS_FEATURE) itself and hands every other call to
 * `onCall`, which may answer, stay silent, or write raw bytes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {
  KEEPALIVE_PROC_PING,
  KEEPALIVE_PROC_PONG,
  KEEPALIVE_PROGRAM,
  MessageStatus,
  MessageType,
  Proc,
  REMOTE_PROGRAM,
} from "../../../libvirt/constants.js";
import { FrameDecoder, decodePacket, encodePacket, type PacketHeader } from "../../../libvirt/packet.js";
import { XdrWriter } from "../../../libvirt/xdr.js";

export interface FakeCall {
  header: PacketHeader;
  body: Buffer;
  socket: net.Socket;
  reply(body?: Uint8Array): void;
  error(code: number, message: string): void;
}

export interface FakeDaemonOptions {
  keepaliveSupported?: boolean;
  /** Answer our keepalive pings (default true). */
  answerPings?: boolean;
  onCall?: (call: FakeCall) => void;
}

export function replyPacket(
  serial: number,
  procedure: number,
  body: Uint8Array = Buffer.alloc(0),
  status: number = MessageStatus.OK,
): Buffer {
  return encodePacket(
    { program: REMOTE_PROGRAM, version: 1, procedure, type: MessageType.REPLY, serial, status },
    body,
  );
}

export function errorBody(code: number, message: string): Buffer {
  const w = new XdrWriter();
  w.int(code).int(10);
  w.optional(message, (x, m) => x.string(m, 1 << 20));
  w.int(2);
  w.bool(false); // dom
  w.bool(false).bool(false).bool(false); // str1..3
  w.int(0).int(0);
  w.bool(false); // net
  return Buffer.from(w.bytes());
}

export class FakeDaemon {
  readonly dir: string;
  readonly socketPath: string;
  readonly sockets = new Set<net.Socket>();
  readonly calls: PacketHeader[] = [];
  pingsReceived = 0;
  connections = 0;
  private server: net.Server;

  constructor(public options: FakeDaemonOptions = {}) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), "vft-fake-libvirtd-"));
    this.socketPath = path.join(this.dir, "libvirt-sock");
    this.server = net.createServer((s) => this.onConnection(s));
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Drops every client connection. */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Sends a raw buffer to every connected client. */
  broadcast(buf: Buffer): void {
    for (const s of this.sockets) s.write(buf);
  }

  private onConnection(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => {});
    const decoder = new FrameDecoder();
    socket.on("data", (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) this.onPacket(socket, f);
    });
  }

  private onPacket(socket: net.Socket, frame: Buffer): void {
    const { header, body } = decodePacket(frame);
    if (header.program === KEEPALIVE_PROGRAM) {
      if (header.procedure === KEEPALIVE_PROC_PING) {
        this.pingsReceived++;
        if (this.options.answerPings !== false) {
          socket.write(encodePacket({ ...header, procedure: KEEPALIVE_PROC_PONG }));
        }
      }
      return;
    }
    this.calls.push(header);
    const reply = (b?: Uint8Array): void => {
      socket.write(replyPacket(header.serial, header.procedure, b));
    };
    const w = () => new XdrWriter();
    switch (header.procedure) {
      case Proc.AUTH_LIST:
        return reply(w().uint(1).int(0).bytes());
      case Proc.CONNECT_OPEN:
        return reply();
      case Proc.CONNECT_SUPPORTS_FEATURE:
        return reply(
          w()
            .int(this.options.keepaliveSupported ? 1 : 0)
            .bytes(),
        );
      case Proc.CONNECT_CLOSE:
        return reply();
    }
    this.options.onCall?.({
      header,
      body,
      socket,
      reply,
      error: (code, message) => {
        socket.write(replyPacket(header.serial, header.procedure, errorBody(code, message), MessageStatus.ERROR));
      },
    });
  }
}
