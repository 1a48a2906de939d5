/**
 * The "actual" side of the domain kind: what libvirt's INACTIVE XML says, reduced to the fields a
 * spec can set, in the same units and names as the kind's spec, so a diff is a field-by-field
 * comparison. What libvirt adds on its own is not represented and therefore never counts as drift.
 */

export interface ParsedDisk {
  /** Target device libvirt addresses the disk by (`vda`, `sdb`). */
  target: string;
  bus: string;
  /** Set for `type='volume'` disks. */
  pool: string | null;
  volume: string | null;
  /** Set for `type='file'` / `type='block'` disks. */
  path: string | null;
  /** `<driver type=…>`, null when absent. */
  format: string | null;
}

export interface ParsedInterface {
  /** Lower-case. */
  mac: string;
  /** `<interface type=…>`: `network`, `bridge`, … */
  type: string;
  /** Source network (type network) or bridge (type bridge). */
  network: string | null;
  model: string | null;
}

export interface ParsedGraphics {
  type: string;
  /** Listen address (attribute or first `<listen type='address'>`), null when absent. */
  listen: string | null;
}

export interface ParsedDomain {
  name: string;
  /** `<description>`; null when absent or empty. */
  description: string | null;
  uuid: string | null;
  /** `<domain type=…>`: `kvm`, `qemu`. */
  domainType: string;
  arch: string | null;
  /** Vcpus at boot (`current` attribute, else the maximum). */
  vcpus: number;
  maxVcpus: number;
  memoryBytes: number;
  currentMemoryBytes: number;
  /** `<cpu mode>`; null when there is no <cpu> element. */
  cpu: string | null;
  /** CPU features with policy `disable` (never compared; informational). */
  cpuDisabledFeatures: string[];
  /** As stored: libvirt expands aliases (`q35` → `pc-q35-7.2`). */
  machine: string | null;
  /** Disks with device `disk`, in document order. */
  disks: ParsedDisk[];
  /** Disks with device `cdrom`, in document order. */
  cdroms: ParsedDisk[];
  interfaces: ParsedInterface[];
  graphics: ParsedGraphics[];
  specHash: string | null;
  policy: string | null;
  /** Revision of the policy that created or adopted it (virtfleet metadata; null/absent: unknown). */
  createdBy?: string | null;
}

export interface VolumeRef {
  path: string;
  format: "qcow2" | "raw";
}

/** Key of `diskPaths` / `cdromPaths`: `${pool}/${volume}`. */
export type PoolVolumeKey = string;

export interface DomainBuildContext {
  domainType: "kvm" | "qemu";
  /** Default: libvirt picks the host arch. */
  arch?: string;
  /** Resolved volumes of `spec.disks` (format is required: libvirt would assume raw). */
  diskPaths: Map<PoolVolumeKey, VolumeRef>;
  /** Resolved volumes of pool/volume `spec.cdroms` (format defaults to raw). */
  cdromPaths?: Map<PoolVolumeKey, VolumeRef>;
  /** canonicalHash of the desired spec, stored in <metadata>. */
  specHash: string;
  /** Policy that owns the domain, stored in <metadata>. */
  policy?: string;
  /** Revision of the policy that created or adopted it, stored in <metadata> (kept on redefinition). */
  createdBy?: string | null;
  /**
   * The guest's current `<description>`, written when the spec does not manage it (so a
   * redefinition keeps what the operator wrote).
   */
  keepDescription?: string | null;
  /** Pin the UUID. Required to redefine an existing domain (libvirt refuses a new one). */
  uuid?: string;
  /**
   * CPU features to disable (`<feature policy='disable' name=…/>`), for hosts whose KVM
   * cannot give a guest a feature the host advertises (nested KVM: `arch-capabilities`).
   * Never compared by diffDomain.
   */
  cpuDisabledFeatures?: string[];
}
