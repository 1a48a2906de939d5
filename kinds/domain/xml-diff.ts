/**
 * Desired DomainSpec vs a ParsedDomain (from the INACTIVE XML), field by field: the core
 * here, each area's fields by its xml-diff.ts (which states their disruption classes).
 *
 * Disruption rules (effect on a RUNNING guest): `recreate` for a different UUID
 * (`opts.uuid`: the definition belongs to another domain); `restart` for the domain type and
 * the machine; the virtfleet metadata is `live` (set-metadata on live + config). When the
 * guest is NOT running the definition is all there is, so every change takes full effect
 * when the definition is updated: all changes are `live` except `recreate`.
 *
 * Never compared: autostart/state/restartOnChange/cloudInit (not XML; the engine's job),
 * addresses, controllers and every other libvirt default. A desired machine alias matches
 * its versioned family (machine.ts); a null machine matches any.
 */
import type { Disruption, FieldChange } from "../../common/changes.js";
import type { AddChange } from "./area.js";
import { diffCpuMemory } from "./cpu-memory/xml-diff.js";
import { diffDevices } from "./devices/xml-diff.js";
import { diffDisksArea } from "./disks/xml-diff.js";
import { diffFirmware } from "./firmware/xml-diff.js";
import { machineMatches } from "./machine.js";
import { diffMetadata } from "./metadata/xml-diff.js";
import { diffNics } from "./nics/xml-diff.js";
import type { ParsedDomain, PoolVolumeKey, VolumeRef } from "./parsed.js";
import type { DomainSpec } from "./spec.js";

export interface DomainDiffOptions {
  /** The UUID this domain must have; a different actual UUID is `recreate`. */
  uuid?: string;
  /** Compared when given (`kvm` / `qemu`). */
  domainType?: string;
  /** Compared with the stored metadata when given (a mismatch is a `live` change). */
  specHash?: string;
  /**
   * Resolved volumes of the desired disks: lets a `type='file'` actual disk at the same
   * path match a pool/volume disk, and compares `<driver type>` with the volume's format.
   */
  diskPaths?: Map<PoolVolumeKey, VolumeRef>;
}

export function diffDomain(
  desired: DomainSpec,
  actual: ParsedDomain,
  running: boolean,
  opts: DomainDiffOptions = {},
): FieldChange[] {
  const out: FieldChange[] = [];
  const add: AddChange = (field: string, from: unknown, to: unknown, runningDisruption: Disruption) =>
    out.push({ field, from, to, disruption: running || runningDisruption === "recreate" ? runningDisruption : "live" });

  if (opts.uuid !== undefined && actual.uuid !== null && actual.uuid !== opts.uuid.toLowerCase())
    add("uuid", actual.uuid, opts.uuid.toLowerCase(), "recreate");
  if (opts.domainType !== undefined && actual.domainType !== opts.domainType)
    add("domainType", actual.domainType, opts.domainType, "restart");

  diffMetadata(desired, actual, add);
  diffCpuMemory(desired, actual, add);
  if (!machineMatches(desired.machine, actual.machine)) add("machine", actual.machine, desired.machine, "restart");
  diffFirmware(desired, actual, add);
  diffDisksArea(desired, actual, opts.diskPaths, add);
  diffNics(desired, actual, add);
  diffDevices(desired, actual, add);

  if (opts.specHash !== undefined && actual.specHash !== opts.specHash)
    add("metadata.specHash", actual.specHash, opts.specHash, "live");
  return out;
}
