/**
 * Routes one frame from the transport by program and message type, as go-libvirt's
 * router does: keepalive packets to the keepalive, REMOTE_PROGRAM replies to the calls
 * waiting for them (by serial), REMOTE_PROGRAM messages (events) to the subscribers.
 *
 * Contract: throws `ProtocolError` for a frame no route accepts (unknown program,
 * unsupported REMOTE_PROGRAM version, unexpected message type) and passes on whatever
 * a route throws; the caller treats both as a protocol violation by the peer.
 */
import { ProtocolError } from "../../common/errors.js";
import { KEEPALIVE_PROGRAM, MessageType, REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, procName } from "../constants.js";
import { decodePacket, type PacketHeader } from "../packet.js";

export interface Routes {
  keepalive(header: PacketHeader): void;
  reply(header: PacketHeader, body: Buffer): void;
  message(procedure: number, body: Buffer): void;
}

export function routeFrame(frame: Buffer, routes: Routes): void {
  const { header, body } = decodePacket(frame);
  if (header.program === KEEPALIVE_PROGRAM) {
    routes.keepalive(header);
    return;
  }
  if (header.program !== REMOTE_PROGRAM) {
    throw new ProtocolError(`packet for unknown program 0x${header.program.toString(16)}`);
  }
  if (header.version !== REMOTE_PROTOCOL_VERSION) {
    throw new ProtocolError(`packet with unsupported protocol version ${header.version}`);
  }
  if (header.type === MessageType.REPLY) routes.reply(header, body);
  else if (header.type === MessageType.MESSAGE) routes.message(header.procedure, body);
  else throw new ProtocolError(`unexpected packet type ${header.type} for ${procName(header.procedure)}`);
}
