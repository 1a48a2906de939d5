import type { DomainDocument, DomainSpec } from "../spec.js";
import type { CdromSpec, DiskDocument, DiskSpec, IotuneSpec } from "./schema.js";
import { IOTUNE_KEYS } from "./values.js";

function splitRef(ref: string): { pool: string; volume: string } {
  const slash = ref.indexOf("/");
  return { pool: ref.slice(0, slash), volume: ref.slice(slash + 1) };
}

/**
 * `disks[]` and `cdroms[]` resolved: pool/volume split, bus default virtio, a file disk's
 * format default raw. Every other disk option is carried only when the policy sets it, so
 * a volume disk without options resolves to `{pool, volume, bus}` as before (same spec hash).
 */
export function resolveDisks(d: DomainDocument): Pick<DomainSpec, "disks" | "cdroms"> {
  return {
    disks: (d.disks ?? []).map(resolveDisk),
    cdroms: (d.cdroms ?? []).map((c): CdromSpec => (c.startsWith("/") ? { path: c } : splitRef(c))),
  };
}

function resolveDisk(disk: DiskDocument): DiskSpec {
  const source =
    disk.file !== undefined
      ? { file: disk.file, format: disk.format ?? "raw" }
      : disk.device !== undefined
        ? { device: disk.device }
        : splitRef(disk.volume ?? "");
  const out: Record<string, unknown> = { ...source, bus: disk.bus ?? "virtio" };
  for (const k of ["cache", "io", "discard", "detectZeroes", "serial", "readonly", "shareable", "bootIndex"] as const)
    if (disk[k] !== undefined) out[k] = disk[k];
  if (disk.iotune !== undefined) {
    const iotune: IotuneSpec = {};
    for (const k of IOTUNE_KEYS) if (disk.iotune[k] !== undefined) iotune[k] = disk.iotune[k];
    out.iotune = iotune;
  }
  return out as DiskSpec;
}
