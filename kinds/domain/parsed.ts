/**
 * The "actual" side of the domain kind: what libvirt's INACTIVE XML says, reduced to the fields a
 * spec can set, in the same units and names as the kind's spec, so a diff is a field-by-field
 * comparison. What libvirt adds on its own is not represented and therefore never counts as drift.
 */

import type { ParsedCpuMemory } from "./cpu-memory/parsed.js";
import type { ParsedDevices } from "./devices/parsed.js";
import type { ParsedDisks } from "./disks/parsed.js";
import type { ParsedFirmware } from "./firmware/parsed.js";
import type { ParsedMetadata } from "./metadata/parsed.js";
import type { ParsedNics } from "./nics/parsed.js";

export type { ParsedCpuMemory } from "./cpu-memory/parsed.js";
export type { ParsedDevices, ParsedGraphics } from "./devices/parsed.js";
export type { ParsedDisk, ParsedDisks } from "./disks/parsed.js";
export type { ParsedFirmware } from "./firmware/parsed.js";
export type { ParsedMetadata } from "./metadata/parsed.js";
export type { ParsedInterface, ParsedNics } from "./nics/parsed.js";

/** What every domain has, outside the areas. */
export interface ParsedCore {
  name: string;
  uuid: string | null;
  /** `<domain type=…>`: `kvm`, `qemu`. */
  domainType: string;
  arch: string | null;
  /** As stored: libvirt expands aliases (`q35` → `pc-q35-7.2`). */
  machine: string | null;
  specHash: string | null;
  policy: string | null;
  /** Revision of the policy that created or adopted it (virtfleet metadata; null/absent: unknown). */
  createdBy?: string | null;
}

/** A parsed domain: the core plus each area's part (each area's parsed.ts). */
export interface ParsedDomain
  extends ParsedCore,
    ParsedMetadata,
    ParsedCpuMemory,
    ParsedFirmware,
    ParsedDisks,
    ParsedNics,
    ParsedDevices {}

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
  /** The guest's current `<title>`, written when the spec does not manage it. */
  keepTitle?: string | null;
  /**
   * The graphics console password, read by the agent from the spec's `graphics.passwordFile`
   * (devices/live.ts); required when the spec names one. Written into the XML only.
   */
  graphicsPassword?: string;
  /** Pin the UUID. Required to redefine an existing domain (libvirt refuses a new one). */
  uuid?: string;
  /**
   * CPU features to disable (`<feature policy='disable' name=…/>`), for hosts whose KVM
   * cannot give a guest a feature the host advertises (nested KVM: `arch-capabilities`).
   * Never compared by diffDomain.
   */
  cpuDisabledFeatures?: string[];
}
