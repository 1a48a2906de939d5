import type { DomainDocument, DomainSpec } from "../spec.js";
import type { CdromSpec } from "./schema.js";

function splitRef(ref: string): { pool: string; volume: string } {
  const slash = ref.indexOf("/");
  return { pool: ref.slice(0, slash), volume: ref.slice(slash + 1) };
}

/** `disks[]` and `cdroms[]` resolved: pool/volume split, bus default virtio. */
export function resolveDisks(d: DomainDocument): Pick<DomainSpec, "disks" | "cdroms"> {
  return {
    disks: (d.disks ?? []).map((disk) => ({ ...splitRef(disk.volume), bus: disk.bus ?? "virtio" })),
    cdroms: (d.cdroms ?? []).map((c): CdromSpec => (c.startsWith("/") ? { path: c } : splitRef(c))),
  };
}
