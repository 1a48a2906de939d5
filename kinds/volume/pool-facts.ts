/**
 * What the volume kind reads from its pool's XML (`pool-dumpxml`): the type (`<pool type=…>`,
 * for the rules of pool-formats.ts), the target path (where an import writes) and the source
 * device (a disk pool's partitions are named after it). Read here, not through the pool kind,
 * so that the volume kind depends only on libvirt's XML.
 */
import { realpath } from "node:fs/promises";
import { basename } from "node:path";
import { ProtocolError } from "../../common/errors.js";
import { attr, child, parseXml, text } from "../libvirt-xml/xml-io.js";

export interface PoolFacts {
  type: string;
  targetPath: string | null;
  /** `<source><device path=…>` (the first), null when absent. */
  sourceDevice: string | null;
}

export function parsePoolFacts(xml: string): PoolFacts {
  const p = parseXml(xml, "pool");
  const type = attr(p, "type");
  if (!type) throw new ProtocolError("pool XML from libvirt has no type attribute");
  return {
    type,
    targetPath: text(child(p, "target"), "path"),
    sourceDevice: attr(child(child(p, "source"), "device"), "path"),
  };
}

/**
 * The name libvirt's disk backend requires for the next partition it creates on `device`
 * (libvirt names a partition after the device's file: `loop0` → `loop0p1`, `sdb` → `sdb1`),
 * given the partitions the pool lists. parted numbers a new partition with the lowest free
 * number. A symlinked device (/dev/disk/by-id/…) is resolved first, as the kernel names it.
 */
export async function nextPartitionName(device: string, existing: readonly string[]): Promise<string> {
  const real = await realpath(device).catch(() => device);
  const base = basename(real);
  const prefix = /\d$/.test(base) ? `${base}p` : base;
  const used = new Set<number>();
  for (const n of existing) {
    if (n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length))) used.add(Number(n.slice(prefix.length)));
  }
  let next = 1;
  while (used.has(next)) next++;
  return `${prefix}${next}`;
}
