/**
 * Desired DomainSpec vs a ParsedDomain (from the INACTIVE XML), field by field.
 *
 * Disruption rules (effect on a RUNNING guest):
 * - `recreate`: a different UUID (`opts.uuid`) — the definition belongs to another domain;
 * - `live`: attaching or detaching a virtio disk or any NIC (attach/detach-device with
 *   AFFECT_LIVE|AFFECT_CONFIG; a live detach completes only when the guest OS releases
 *   the device), changing the medium of an existing cdrom (update-device), and the
 *   virtfleet metadata (set-metadata on live + config);
 * - `restart`: everything else — vcpus, memory (we set no separate maximum, so neither
 *   can grow live), cpu mode, machine, domain type, graphics, NIC model or network, a
 *   changed disk source/bus/format, adding/removing a sata/scsi disk or a cdrom (no
 *   hotplug on AHCI).
 * When the guest is NOT running the definition is all there is, so every change takes
 * full effect when the definition is updated: all changes are `live` except `recreate`,
 * which stays `recreate`.
 *
 * Never compared: autostart/state/restartOnChange/cloudInit (not XML; the engine's job),
 * stored target names, addresses, controllers and every other libvirt default.
 * Matching: disks by the target name the builder assigns (names.ts); cdroms by position
 * in target order (they share the `sd` names with sata/scsi disks, whose addition or
 * removal shifts them); NICs by MAC (case-insensitive), in any order. Memory compares in KiB (the
 * desired bytes rounded up, as the builder writes them). A desired machine alias matches
 * its versioned family (machine.ts); a null machine matches any.
 */
import type { CdromSpec, DiskSpec, DomainSpec, InterfaceSpec } from "./spec.js";
import { machineMatches } from "./machine.js";
import { targetNames } from "./target-names.js";
import type { Disruption, FieldChange } from "../../common/changes.js";
import type { ParsedDisk, ParsedDomain, ParsedInterface, PoolVolumeKey, VolumeRef } from "./parsed.js";
import { bytesToKiB } from "../libvirt-xml/units.js";

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
  const add = (field: string, from: unknown, to: unknown, runningDisruption: Disruption) =>
    out.push({ field, from, to, disruption: running || runningDisruption === "recreate" ? runningDisruption : "live" });

  if (opts.uuid !== undefined && actual.uuid !== null && actual.uuid !== opts.uuid.toLowerCase())
    add("uuid", actual.uuid, opts.uuid.toLowerCase(), "recreate");
  if (opts.domainType !== undefined && actual.domainType !== opts.domainType)
    add("domainType", actual.domainType, opts.domainType, "restart");

  if (desired.description !== undefined && (actual.description ?? "") !== desired.description)
    add("description", actual.description, desired.description, "live");
  if (actual.vcpus !== desired.vcpus || actual.maxVcpus !== desired.vcpus) {
    add(
      "vcpus",
      actual.vcpus === actual.maxVcpus ? actual.vcpus : { current: actual.vcpus, max: actual.maxVcpus },
      desired.vcpus,
      "restart",
    );
  }
  const wantMem = bytesToKiB(desired.memoryBytes) * 1024;
  if (actual.memoryBytes !== wantMem || actual.currentMemoryBytes !== wantMem) {
    const from =
      actual.memoryBytes === actual.currentMemoryBytes
        ? actual.memoryBytes
        : { max: actual.memoryBytes, current: actual.currentMemoryBytes };
    add("memory", from, desired.memoryBytes, "restart");
  }
  if (actual.cpu !== desired.cpu) add("cpu", actual.cpu, desired.cpu, "restart");
  if (!machineMatches(desired.machine, actual.machine)) add("machine", actual.machine, desired.machine, "restart");

  const names = targetNames(desired);
  diffDisks(desired.disks, names.disks, actual.disks, opts, add);
  diffCdroms(desired.cdroms, actual.cdroms, add);
  diffInterfaces(desired.interfaces, actual.interfaces, add);

  const gotGraphics = describeGraphics(actual);
  if (gotGraphics !== desired.graphics) add("graphics", gotGraphics, desired.graphics, "restart");

  if (opts.specHash !== undefined && actual.specHash !== opts.specHash)
    add("metadata.specHash", actual.specHash, opts.specHash, "live");
  return out;
}

type Add = (field: string, from: unknown, to: unknown, runningDisruption: Disruption) => void;

function diffDisks(want: DiskSpec[], targets: string[], have: ParsedDisk[], opts: DomainDiffOptions, add: Add): void {
  const byTarget = new Map(have.map((d) => [d.target, d]));
  want.forEach((d, i) => {
    const got = byTarget.get(targets[i]!);
    const to = { pool: d.pool, volume: d.volume, bus: d.bus };
    if (got === undefined) return add(`disks[${i}]`, null, to, d.bus === "virtio" ? "live" : "restart");
    const ref = opts.diskPaths?.get(`${d.pool}/${d.volume}`);
    const sameSource =
      (got.pool === d.pool && got.volume === d.volume) ||
      (got.path !== null && ref !== undefined && got.path === ref.path);
    const sameFormat = ref === undefined || got.format === null || got.format === ref.format;
    if (!sameSource || got.bus !== d.bus || !sameFormat) add(`disks[${i}]`, describeDisk(got), to, "restart");
  });
  const wanted = new Set(targets);
  for (const got of have) {
    if (!wanted.has(got.target))
      add(`disks[${got.target}]`, describeDisk(got), null, got.bus === "virtio" ? "live" : "restart");
  }
}

function diffCdroms(want: CdromSpec[], have: ParsedDisk[], add: Add): void {
  // By position in target order: cdroms come after the sata/scsi disks in the shared
  // `sd` namespace, so adding or removing such a disk shifts every cdrom's target.
  const sorted = [...have].sort(
    (a, b) => a.target.length - b.target.length || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0),
  );
  want.forEach((c, i) => {
    const got = sorted[i];
    const to = "path" in c ? { path: c.path } : { pool: c.pool, volume: c.volume };
    if (got === undefined) return add(`cdroms[${i}]`, null, to, "restart");
    const same =
      "path" in c ? got.path === c.path && got.pool === null : got.pool === c.pool && got.volume === c.volume;
    if (!same) add(`cdroms[${i}]`, describeDisk(got), to, "live");
  });
  for (const got of sorted.slice(want.length)) add(`cdroms[${got.target}]`, describeDisk(got), null, "restart");
}

function diffInterfaces(want: InterfaceSpec[], have: ParsedInterface[], add: Add): void {
  const byMac = new Map(have.map((n) => [n.mac, n]));
  const wanted = new Set<string>();
  want.forEach((n, i) => {
    const mac = n.mac.toLowerCase();
    wanted.add(mac);
    const got = byMac.get(mac);
    if (got === undefined) return add(`interfaces[${i}]`, null, { network: n.network, model: n.model, mac }, "live");
    if (got.type !== "network" || got.network !== n.network) {
      add(
        `interfaces[${i}].network`,
        got.type === "network" ? got.network : `${got.type}:${got.network ?? ""}`,
        n.network,
        "restart",
      );
    }
    if (got.model !== n.model) add(`interfaces[${i}].model`, got.model, n.model, "restart");
  });
  for (const got of have) {
    if (!wanted.has(got.mac))
      add(`interfaces[${got.mac}]`, { network: got.network, model: got.model, mac: got.mac }, null, "live");
  }
}

function describeDisk(d: ParsedDisk): Record<string, string> {
  const out: Record<string, string> =
    d.pool !== null || d.volume !== null ? { pool: d.pool ?? "", volume: d.volume ?? "" } : { path: d.path ?? "" };
  if (d.bus) out.bus = d.bus;
  return out;
}

/** `none`, `vnc` (exactly one VNC on 127.0.0.1), or a description such as `vnc@0.0.0.0`, `spice`. */
function describeGraphics(actual: ParsedDomain): string {
  if (actual.graphics.length === 0) return "none";
  return actual.graphics
    .map((g) => (g.type === "vnc" && g.listen === "127.0.0.1" ? "vnc" : g.listen ? `${g.type}@${g.listen}` : g.type))
    .join(",");
}
