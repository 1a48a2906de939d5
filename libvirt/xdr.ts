/**
 * XDR (RFC 4506) encoder and decoder for the subset libvirt's RPC uses.
 *
 * Contract: the reader never allocates or slices more than the bytes actually present,
 * and every variable-length item (string, opaque, array) is checked against a caller
 * supplied maximum before anything is read. Any violation throws `XdrError`.
 */
import { ProtocolError } from "../common/errors.js";

export class XdrError extends ProtocolError {
  constructor(message: string) {
    super(`XDR: ${message}`);
  }
}

const INT_MIN = -0x8000_0000;
const INT_MAX = 0x7fff_ffff;
const UINT_MAX = 0xffff_ffff;
const HYPER_MIN = -(1n << 63n);
const HYPER_MAX = (1n << 63n) - 1n;
const UHYPER_MAX = (1n << 64n) - 1n;

function pad(n: number): number {
  return (4 - (n % 4)) % 4;
}

export class XdrWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialSize));
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  get length(): number {
    return this.pos;
  }

  int(v: number): this {
    if (!Number.isInteger(v) || v < INT_MIN || v > INT_MAX) throw new XdrError(`int out of range: ${v}`);
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > UINT_MAX) throw new XdrError(`unsigned int out of range: ${v}`);
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  hyper(v: bigint | number): this {
    const b = BigInt(v);
    if (b < HYPER_MIN || b > HYPER_MAX) throw new XdrError(`hyper out of range: ${v}`);
    this.ensure(8);
    this.buf.writeBigInt64BE(b, this.pos);
    this.pos += 8;
    return this;
  }

  uhyper(v: bigint | number): this {
    const b = BigInt(v);
    if (b < 0n || b > UHYPER_MAX) throw new XdrError(`unsigned hyper out of range: ${v}`);
    this.ensure(8);
    this.buf.writeBigUInt64BE(b, this.pos);
    this.pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.int(v ? 1 : 0);
  }

  /** Variable-length opaque: 4-byte length, bytes, zero padding to a multiple of 4. */
  opaque(data: Uint8Array, max: number): this {
    if (data.length > max) throw new XdrError(`opaque of ${data.length} bytes exceeds maximum ${max}`);
    this.uint(data.length);
    return this.rawPadded(data);
  }

  /** Fixed-length opaque (e.g. a 16-byte UUID): bytes and padding, no length word. */
  fixedOpaque(data: Uint8Array, size: number): this {
    if (data.length !== size) throw new XdrError(`fixed opaque must be ${size} bytes, got ${data.length}`);
    return this.rawPadded(data);
  }

  string(s: string, max: number): this {
    const bytes = Buffer.from(s, "utf8");
    if (bytes.length > max) throw new XdrError(`string of ${bytes.length} bytes exceeds maximum ${max}`);
    this.uint(bytes.length);
    return this.rawPadded(bytes);
  }

  /** Optional data (`type *name`): a bool, then the value when present. */
  optional<T>(v: T | null | undefined, write: (w: this, v: T) => void): this {
    if (v === null || v === undefined) return this.bool(false);
    this.bool(true);
    write(this, v);
    return this;
  }

  array<T>(items: readonly T[], max: number, write: (w: this, v: T) => void): this {
    if (items.length > max) throw new XdrError(`array of ${items.length} items exceeds maximum ${max}`);
    this.uint(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  private rawPadded(data: Uint8Array): this {
    const p = pad(data.length);
    this.ensure(data.length + p);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    for (let i = 0; i < p; i++) this.buf[this.pos++] = 0;
    return this;
  }

  /** The encoded bytes (a view; do not keep the writer after taking it). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class XdrReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.buf.length - this.pos) {
      throw new XdrError(
        `truncated ${what}: need ${n} bytes at offset ${this.pos}, have ${this.buf.length - this.pos}`,
      );
    }
  }

  int(): number {
    this.need(4, "int");
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint(): number {
    this.need(4, "unsigned int");
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  hyper(): bigint {
    this.need(8, "hyper");
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  uhyper(): bigint {
    this.need(8, "unsigned hyper");
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** An unsigned hyper as a JS number; throws when it does not fit exactly. */
  uhyperNumber(): number {
    const v = this.uhyper();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new XdrError(`unsigned hyper ${v} exceeds the safe integer range`);
    return Number(v);
  }

  bool(): boolean {
    const v = this.int();
    if (v !== 0 && v !== 1) throw new XdrError(`bool must be 0 or 1, got ${v}`);
    return v === 1;
  }

  opaque(max: number): Buffer {
    const len = this.uint();
    if (len > max) throw new XdrError(`opaque length ${len} exceeds maximum ${max}`);
    return this.rawPadded(len, "opaque");
  }

  fixedOpaque(size: number): Buffer {
    return this.rawPadded(size, "fixed opaque");
  }

  string(max: number): string {
    const len = this.uint();
    if (len > max) throw new XdrError(`string length ${len} exceeds maximum ${max}`);
    return this.rawPadded(len, "string").toString("utf8");
  }

  optional<T>(read: (r: this) => T): T | null {
    return this.bool() ? read(this) : null;
  }

  /**
   * Variable-length array. `minItemBytes` (at least 4 for any XDR item) lets the reader
   * reject a count the remaining bytes cannot possibly hold before allocating.
   */
  array<T>(max: number, read: (r: this) => T, minItemBytes = 4): T[] {
    const count = this.uint();
    if (count > max) throw new XdrError(`array count ${count} exceeds maximum ${max}`);
    if (count * minItemBytes > this.remaining) {
      throw new XdrError(`array count ${count} cannot fit in the remaining ${this.remaining} bytes`);
    }
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(read(this));
    return out;
  }

  /** A fixed-length array (`type name[n]`). */
  fixedArray<T>(count: number, read: (r: this) => T): T[] {
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(read(this));
    return out;
  }

  /** Throws unless every byte has been consumed. */
  end(): void {
    if (this.pos !== this.buf.length) throw new XdrError(`${this.buf.length - this.pos} unexpected trailing bytes`);
  }

  private rawPadded(len: number, what: string): Buffer {
    const p = pad(len);
    this.need(len + p, what);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len + p;
    return out;
  }
}
