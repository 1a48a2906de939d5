import { constants } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { VirtfleetError } from "../../../common/errors.js";
import type { DomainSpec } from "../spec.js";
import { pathExists } from "../../../common/path-exists.js";

/** A firmware and boot field needs something this host does not have (the plan stage's check). */
export class MissingFirmwareError extends VirtfleetError {
  constructor(
    readonly domain: string,
    readonly field: string,
    detail: string,
    host = "this host",
  ) {
    super("FIRMWARE_MISSING", `domain ${domain}: ${field}: ${detail} on ${host}; the guest was not defined or changed`);
  }
}

/** Where libvirt's QEMU driver reads QEMU firmware descriptors (a file in /etc overrides one of the same name). */
export const FIRMWARE_DESCRIPTOR_DIRS = ["/etc/qemu/firmware", "/usr/share/qemu/firmware"];

export interface FirmwareHostPaths {
  descriptorDirs: string[];
  /** Searched for swtpm and swtpm_setup (libvirt runs them from its PATH). */
  binDirs: string[];
}

export const REAL_FIRMWARE_HOST: FirmwareHostPaths = {
  descriptorDirs: FIRMWARE_DESCRIPTOR_DIRS,
  binDirs: (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(delimiter).filter(Boolean),
};

interface Descriptor {
  "interface-types"?: unknown;
  features?: unknown;
  mapping?: { executable?: { filename?: unknown } };
}

/**
 * What libvirt's firmware auto-selection needs on this host, checked before the guest is
 * defined or changed (dry-run and apply alike): for `firmware: uefi`, a QEMU firmware
 * descriptor for UEFI whose firmware file exists — without the `secure-boot` feature, or
 * with `secure-boot` and `enrolled-keys` for `secureBoot: true` (Debian's `ovmf` package
 * installs both); for `tpm: true`, swtpm and swtpm_setup (Debian's `swtpm`, `swtpm-tools`).
 * Throws MissingFirmwareError naming the host and the field; a guest being removed is not checked.
 */
export async function checkFirmwareOnHost(
  spec: DomainSpec,
  host = "this host",
  paths: FirmwareHostPaths = REAL_FIRMWARE_HOST,
): Promise<void> {
  if (spec.state === "absent") return;
  if (spec.firmware === "uefi") {
    const secure = spec.secureBoot === true;
    const found = await uefiDescriptors(paths.descriptorDirs);
    const fits = found.filter((features) =>
      secure ? features.has("secure-boot") && features.has("enrolled-keys") : !features.has("secure-boot"),
    );
    if (fits.length === 0) {
      const field = secure && found.length > 0 ? "secureBoot" : "firmware";
      const what = secure ? "UEFI with Secure Boot and enrolled keys" : "UEFI without Secure Boot";
      throw new MissingFirmwareError(
        spec.name,
        field,
        `needs OVMF (${what}), and there is no such QEMU firmware descriptor with an existing firmware file in ${paths.descriptorDirs.join(" or ")} (install Debian's ovmf package)`,
        host,
      );
    }
  }
  if (spec.tpm === true) {
    for (const bin of ["swtpm", "swtpm_setup"]) {
      if (!(await onPath(bin, paths.binDirs)))
        throw new MissingFirmwareError(
          spec.name,
          "tpm",
          `a vTPM needs ${bin}, which is not installed (install Debian's swtpm and swtpm-tools packages)`,
          host,
        );
    }
  }
}

/** The feature sets of the usable UEFI descriptors (firmware file present). */
async function uefiDescriptors(dirs: string[]): Promise<Set<string>[]> {
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
    } catch {
      continue;
    }
    for (const n of names) if (!byName.has(n)) byName.set(n, join(dir, n));
  }
  const out: Set<string>[] = [];
  for (const file of byName.values()) {
    let d: Descriptor;
    try {
      const text = await readFile(file, "utf8");
      if (text.trim() === "") continue; // an empty file in /etc hides the one of the same name
      d = JSON.parse(text) as Descriptor;
    } catch {
      continue;
    }
    const types = Array.isArray(d["interface-types"]) ? d["interface-types"] : [];
    if (!types.includes("uefi")) continue;
    const exe = d.mapping?.executable?.filename;
    if (typeof exe !== "string" || !(await pathExists(exe))) continue;
    out.push(new Set((Array.isArray(d.features) ? d.features : []).filter((f): f is string => typeof f === "string")));
  }
  return out;
}

async function onPath(bin: string, dirs: string[]): Promise<boolean> {
  for (const dir of dirs) if (await pathExists(join(dir, bin), constants.X_OK)) return true;
  return false;
}
