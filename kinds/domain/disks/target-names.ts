/**
 * Target device names the builder assigns and the diff matches on: virtio disks get
 * `vda, vdb, …` in spec order; sata/scsi disks then cdroms (always sata) share
 * `sda, sdb, …`. After `z` comes `aa` as in libvirt (`vdz`, `vdaa`).
 */
import type { DomainSpec } from "../spec.js";

export function diskSuffix(index: number): string {
  let s = "";
  let n = index;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return s;
}

export interface TargetNames {
  disks: string[];
  cdroms: string[];
}

export function targetNames(spec: Pick<DomainSpec, "disks" | "cdroms">): TargetNames {
  let vd = 0;
  let sd = 0;
  const disks = spec.disks.map((d) => (d.bus === "virtio" ? `vd${diskSuffix(vd++)}` : `sd${diskSuffix(sd++)}`));
  const cdroms = spec.cdroms.map(() => `sd${diskSuffix(sd++)}`);
  return { disks, cdroms };
}

export const CDROM_BUS = "sata";
