/**
 * libvirt's keepalive protocol (KEEPALIVE_PROGRAM) on one socket.
 *
 * Contract:
 * - `receive()` answers the daemon's PING with a PONG and accepts its PONG; any other
 *   keepalive packet throws `ProtocolError`.
 * - Once `start()`ed, after `intervalMs` without a byte from the daemon we ping it
 *   (checked every `intervalMs / 2`, at least every 10 ms); after
 *   `intervalMs * (count + 1)` of silence `onDead(idleMs)` is called. The timer never
 *   keeps the process alive; `stop()` ends it (the owner stops it when the socket goes).
 */
import { ProtocolError } from "../../common/errors.js";
import {
  KEEPALIVE_PROC_PING,
  KEEPALIVE_PROC_PONG,
  KEEPALIVE_PROGRAM,
  KEEPALIVE_PROTOCOL_VERSION,
  MessageStatus,
  MessageType,
} from "../constants.js";
import { encodePacket, type PacketHeader } from "../packet.js";

export function keepalivePacket(procedure: number): Buffer {
  return encodePacket({
    program: KEEPALIVE_PROGRAM,
    version: KEEPALIVE_PROTOCOL_VERSION,
    procedure,
    type: MessageType.MESSAGE,
    serial: 0,
    status: MessageStatus.OK,
  });
}

export class Keepalive {
  private timer: NodeJS.Timeout | null = null;

  /** @param send writes a packet to the current socket (a no-op when there is none). */
  constructor(private readonly send: (packet: Buffer) => void) {}

  receive(header: PacketHeader): void {
    if (header.type !== MessageType.MESSAGE) throw new ProtocolError(`keepalive packet of type ${header.type}`);
    if (header.procedure === KEEPALIVE_PROC_PING) this.send(keepalivePacket(KEEPALIVE_PROC_PONG));
    else if (header.procedure !== KEEPALIVE_PROC_PONG)
      throw new ProtocolError(`unknown keepalive procedure ${header.procedure}`);
  }

  start(intervalMs: number, count: number, lastReceivedAt: () => number, onDead: (idleMs: number) => void): void {
    this.stop();
    const deadAfter = intervalMs * (count + 1);
    const tick = Math.max(10, Math.floor(intervalMs / 2));
    this.timer = setInterval(() => {
      const idle = Date.now() - lastReceivedAt();
      if (idle >= deadAfter) onDead(idle);
      else if (idle >= intervalMs) this.send(keepalivePacket(KEEPALIVE_PROC_PING));
    }, tick);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
