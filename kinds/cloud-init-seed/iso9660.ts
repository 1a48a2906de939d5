/**
 * Just enough ISO 9660 to read a seed back: the primary volume id and a small file from the
 * root directory of the Joliet tree (which the seed builder always writes), read through a
 * positioned-read function so only a few sectors are touched.
 *
 * Contract: `readIsoRootFile` returns the file's exact bytes, or null when the image is not
 * ISO 9660, has no Joliet tree, or has no such regular file in its root (names compare
 * without a `;1` version suffix). Files larger than `maxBytes` are refused (null). Malformed
 * structures give null, never a partial result.
 */
import type { FileHandle } from "node:fs/promises";

const SECTOR = 2048;
const FIRST_DESCRIPTOR = 16;
const MAX_DESCRIPTORS = 32;
const MAX_ROOT_BYTES = 64 * 1024;

export type ReadAt = (position: number, length: number) => Promise<Buffer>;

export function fileReader(fh: FileHandle): ReadAt {
  return async (position, length) => {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  };
}

export interface IsoSummary {
  /** Primary volume id, trailing spaces removed. */
  volumeId: string;
  /** Root directory extent and size of the Joliet tree; null without one. */
  jolietRoot: { lba: number; size: number; blockSize: number } | null;
}

export async function readIsoSummary(read: ReadAt): Promise<IsoSummary | null> {
  let volumeId: string | null = null;
  let jolietRoot: IsoSummary["jolietRoot"] = null;
  for (let i = 0; i < MAX_DESCRIPTORS; i++) {
    const d = await read((FIRST_DESCRIPTOR + i) * SECTOR, SECTOR);
    if (d.length < SECTOR || d.toString("latin1", 1, 6) !== "CD001") return null;
    const type = d[0];
    if (type === 255) break;
    if (type === 1) volumeId = d.toString("latin1", 40, 72).replace(/ +$/, "");
    if (type === 2 && d[88] === 0x25 && d[89] === 0x2f && [0x40, 0x43, 0x45].includes(d[90]!)) {
      jolietRoot = { lba: d.readUInt32LE(156 + 2), size: d.readUInt32LE(156 + 10), blockSize: d.readUInt16LE(128) };
    }
  }
  return volumeId === null ? null : { volumeId, jolietRoot };
}

export async function readIsoRootFile(read: ReadAt, name: string, maxBytes: number): Promise<Buffer | null> {
  const summary = await readIsoSummary(read);
  const root = summary?.jolietRoot;
  if (!root || root.blockSize !== SECTOR || root.size > MAX_ROOT_BYTES) return null;
  const dir = await read(root.lba * SECTOR, root.size);
  if (dir.length < root.size) return null;
  for (let off = 0; off < dir.length; ) {
    const len = dir[off]!;
    if (len === 0) {
      // Records never cross a sector boundary; zero padding up to the next one.
      off = (Math.floor(off / SECTOR) + 1) * SECTOR;
      continue;
    }
    if (len < 34 || off + len > dir.length) return null;
    const nameLen = dir[off + 32]!;
    const isDir = (dir[off + 25]! & 0x02) !== 0;
    if (!isDir && nameLen % 2 === 0 && 33 + nameLen <= len) {
      const recName = ucs2be(dir.subarray(off + 33, off + 33 + nameLen)).replace(/;1$/, "");
      if (recName === name) {
        const lba = dir.readUInt32LE(off + 2);
        const size = dir.readUInt32LE(off + 10);
        if (size > maxBytes) return null;
        const data = await read(lba * SECTOR, size);
        return data.length === size ? data : null;
      }
    }
    off += len;
  }
  return null;
}

function ucs2be(b: Buffer): string {
  const swapped = Buffer.from(b);
  swapped.swap16();
  return swapped.toString("utf16le");
}
