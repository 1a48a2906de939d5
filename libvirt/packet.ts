/**
 * Packet framing: a 4-byte big-endian length (counting itself), a 24-byte header, and
 * the payload. `FrameDecoder` reassembles packets from arbitrary socket chunks and
 * rejects any length outside [header size, maximum] before buffering the body.
 */
import { ProtocolError } from "../common/errors.js";
import { HEADER_BYTES, LEN_WORD_BYTES, MESSAGE_MAX_BYTES } from "./constants.js";

export interface PacketHeader {
  program: number;
  version: number;
  procedure: number;
  type: number;
  serial: number;
  status: number;
}

export interface Packet {
  header: PacketHeader;
  body: Buffer;
}

/** Encodes one complete packet, length word included. */
export function encodePacket(header: PacketHeader, body: Uint8Array = Buffer.alloc(0)): Buffer {
  const total = LEN_WORD_BYTES + HEADER_BYTES + body.length;
  if (total - LEN_WORD_BYTES > MESSAGE_MAX_BYTES) {
    throw new ProtocolError(`packet of ${total} bytes exceeds libvirt's maximum message size ${MESSAGE_MAX_BYTES}`);
  }
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(header.program >>> 0, 4);
  out.writeUInt32BE(header.version >>> 0, 8);
  out.writeInt32BE(header.procedure | 0, 12);
  out.writeInt32BE(header.type | 0, 16);
  out.writeUInt32BE(header.serial >>> 0, 20);
  out.writeInt32BE(header.status | 0, 24);
  out.set(body, LEN_WORD_BYTES + HEADER_BYTES);
  return out;
}

/** Decodes a packet (without its length word). */
export function decodePacket(frame: Buffer): Packet {
  if (frame.length < HEADER_BYTES) {
    throw new ProtocolError(`packet of ${frame.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  }
  return {
    header: {
      program: frame.readUInt32BE(0),
      version: frame.readUInt32BE(4),
      procedure: frame.readInt32BE(8),
      type: frame.readInt32BE(12),
      serial: frame.readUInt32BE(16),
      status: frame.readInt32BE(20),
    },
    body: frame.subarray(HEADER_BYTES),
  };
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;

  /** @param maxMessageBytes largest header+payload accepted (the length word is extra). */
  constructor(private readonly maxMessageBytes = MESSAGE_MAX_BYTES) {}

  /** Bytes received but not yet returned as a frame. */
  get pending(): number {
    return this.buffered;
  }

  /**
   * Appends a chunk and returns every frame it completes (header + payload, no length
   * word). Throws `ProtocolError` on an impossible length; the decoder is then unusable.
   */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < LEN_WORD_BYTES) break;
        const len = this.peekLength();
        if (len < LEN_WORD_BYTES + HEADER_BYTES) {
          throw new ProtocolError(`packet length ${len} is smaller than the minimum ${LEN_WORD_BYTES + HEADER_BYTES}`);
        }
        if (len - LEN_WORD_BYTES > this.maxMessageBytes) {
          throw new ProtocolError(`packet length ${len} exceeds the maximum ${this.maxMessageBytes + LEN_WORD_BYTES}`);
        }
        this.expected = len;
      }
      if (this.buffered < this.expected) break;
      const packet = this.take(this.expected);
      this.expected = -1;
      frames.push(packet.subarray(LEN_WORD_BYTES));
    }
    return frames;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= LEN_WORD_BYTES) return first.readUInt32BE(0);
    const head = Buffer.concat(this.chunks, this.buffered).subarray(0, LEN_WORD_BYTES);
    return head.readUInt32BE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks, this.buffered);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }
}
