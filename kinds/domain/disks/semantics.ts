import type { PathSegment } from "../../../policy-primitives/issues.js";
import { checkAbsolutePath, matchesPattern } from "../../../policy-primitives/names.js";
import { absentOf, type PolicyReferences, type ValueChecker } from "../../../policy-primitives/value-checker.js";
import type { DomainDocument } from "../spec.js";
import type { DiskDocument } from "./schema.js";
import { DISK_SERIAL_PATTERN } from "./values.js";

/**
 * A domain's disks and cdroms beyond the schema: each disk names exactly one of volume, file
 * or device; a file is an absolute path, a device an absolute path under /dev; `format` only
 * for a file (raw | qcow2) or a device (raw); each volume/file/device attached once; `io:
 * native` only with cache none or directsync (libvirt refuses it otherwise); `detectZeroes:
 * unmap` only with `discard: unmap`; an iotune total limit not together with its read/write
 * limits (libvirt refuses both); serials and boot indexes unique among the domain's disks;
 * cdrom paths absolute `.iso` or pool/volume references; a present guest may not use a
 * volume or pool this policy declares absent.
 */
export function checkDisksDocument(
  d: DomainDocument,
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const present = d.state !== "absent";
  const sources = new Set<string>();
  const serials = new Map<string, number>();
  const bootIndexes = new Map<number, number>();
  (d.disks ?? []).forEach((disk, j) => {
    const at = [...path, "disks", j];
    const source = checkSource(disk, at, c);
    if (source !== undefined) {
      if (sources.has(source.key)) c.issues.add([...at, source.field], `${source.shown} is attached twice`);
      sources.add(source.key);
      if (present && source.field === "volume") refPresent(source.shown, [...at, "volume"], c, refs);
    }
    checkOptions(disk, at, c);
    const serial = c.concrete(disk.serial);
    if (serial !== undefined) {
      if (!SERIAL_RE.test(serial))
        c.issues.add(
          [...at, "serial"],
          `invalid serial ${JSON.stringify(serial)}: letters, digits, _ . + -, at most 20`,
        );
      else if (serials.has(serial))
        c.issues.add([...at, "serial"], `serial "${serial}" is already used by disks[${serials.get(serial)}]`);
      else serials.set(serial, j);
    }
    if (disk.bootIndex !== undefined) {
      if (bootIndexes.has(disk.bootIndex))
        c.issues.add(
          [...at, "bootIndex"],
          `bootIndex ${disk.bootIndex} is already used by disks[${bootIndexes.get(disk.bootIndex)}]`,
        );
      else bootIndexes.set(disk.bootIndex, j);
    }
  });
  (d.cdroms ?? []).forEach((cd, j) => {
    const s = c.concrete(cd);
    if (s === undefined) return;
    if (s.startsWith("/")) {
      const problem = checkAbsolutePath(s);
      if (problem) c.issues.add([...path, "cdroms", j], problem);
      else if (!s.endsWith(".iso")) c.issues.add([...path, "cdroms", j], `"${s}": a cdrom path must end in .iso`);
    } else if (!matchesPattern("volumeRef", s)) {
      c.issues.add(
        [...path, "cdroms", j],
        `invalid value ${JSON.stringify(s)}: pool/volume or an absolute path to an .iso`,
      );
    } else if (present) refPresent(s, [...path, "cdroms", j], c, refs);
  });
}

const SOURCES = ["volume", "file", "device"] as const;
const SERIAL_RE = new RegExp(DISK_SERIAL_PATTERN);

/** The disk's one source (key for the "attached twice" check), or undefined (issue added, or templated). */
function checkSource(
  disk: DiskDocument,
  at: PathSegment[],
  c: ValueChecker,
): { field: (typeof SOURCES)[number]; key: string; shown: string } | undefined {
  const given = SOURCES.filter((k) => disk[k] !== undefined);
  if (given.length !== 1) {
    c.issues.add(
      at,
      given.length === 0
        ? "a disk needs one of volume, file or device"
        : `a disk has exactly one of volume, file or device, not ${given.join(" and ")}`,
    );
    return undefined;
  }
  const field = given[0]!;
  if (disk.format !== undefined) {
    if (field === "volume")
      c.issues.add([...at, "format"], "a volume disk's format is the volume's: leave format out (or use file:)");
    else if (field === "device" && disk.format !== "raw")
      c.issues.add([...at, "format"], `a device disk is raw, not ${disk.format}`);
  }
  if (field === "volume") {
    const ref = c.format(disk.volume, [...at, "volume"], "volumeRef");
    return ref === undefined ? undefined : { field, key: `volume:${ref}`, shown: ref };
  }
  const p = c.concrete(disk[field]);
  if (p === undefined) return undefined;
  const problem = checkAbsolutePath(p);
  if (problem) {
    c.issues.add([...at, field], problem);
    return undefined;
  }
  if (field === "device" && !p.startsWith("/dev/")) {
    c.issues.add([...at, field], `${JSON.stringify(p)}: a device disk names a block device under /dev`);
    return undefined;
  }
  return { field, key: `path:${p}`, shown: p };
}

function checkOptions(disk: DiskDocument, at: PathSegment[], c: ValueChecker): void {
  if (disk.io === "native" && disk.cache !== "none" && disk.cache !== "directsync")
    c.issues.add(
      [...at, "io"],
      `io: native needs cache: none or directsync (libvirt refuses it with ${disk.cache === undefined ? "the default cache" : `cache: ${disk.cache}`})`,
    );
  if (disk.detectZeroes === "unmap" && disk.discard !== "unmap")
    c.issues.add([...at, "detectZeroes"], "detectZeroes: unmap needs discard: unmap");
  const t = disk.iotune;
  if (t !== undefined) {
    for (const kind of ["Iops", "Bytes"] as const) {
      const total = t[`total${kind}Sec`] ?? 0;
      const rw = (t[`read${kind}Sec`] ?? 0) > 0 || (t[`write${kind}Sec`] ?? 0) > 0;
      if (total > 0 && rw)
        c.issues.add(
          [...at, "iotune", `total${kind}Sec`],
          `total${kind}Sec cannot be set together with read${kind}Sec or write${kind}Sec (libvirt refuses both)`,
        );
    }
  }
}

function refPresent(ref: string, path: PathSegment[], c: ValueChecker, refs: PolicyReferences): void {
  const pool = ref.slice(0, ref.indexOf("/"));
  if (absentOf(refs, "volume").has(ref)) c.issues.add(path, `volume "${ref}" is declared absent in this policy`);
  else if (absentOf(refs, "pool").has(pool)) c.issues.add(path, `pool "${pool}" is declared absent in this policy`);
}
