/** libvirt scaled integers (`<memory unit='KiB'>`, `<capacity unit='bytes'>`) to bytes. */
import { ProtocolError } from "../../common/errors.js";
import { text, attr, toInt } from "./xml-io.js";

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  byte: 1,
  bytes: 1,
  kb: 1e3,
  k: 1024,
  kib: 1024,
  mb: 1e6,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1e9,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1e12,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  pb: 1e15,
  p: 1024 ** 5,
  pib: 1024 ** 5,
};

/** Bytes of a scaled-integer element; `defaultUnit` applies when it has no `unit`. */
export function scaledToBytes(node: unknown, defaultUnit: string, what: string): number {
  const unit = (attr(node, "unit") ?? defaultUnit).toLowerCase();
  const scale = UNIT_BYTES[unit];
  if (scale === undefined) throw new ProtocolError(`XML from libvirt: ${what} has unknown unit ${unit}`);
  const bytes = toInt(text(node), what) * scale;
  if (!Number.isSafeInteger(bytes)) throw new ProtocolError(`XML from libvirt: ${what} is too large`);
  return bytes;
}

/** KiB for a byte count, rounded up (libvirt stores domain memory in KiB). */
export function bytesToKiB(bytes: number): number {
  return Math.ceil(bytes / 1024);
}
