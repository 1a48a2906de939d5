import type { SpecChecker } from "../../spec-checker.js";
import type { DomainSpec } from "../spec.js";
import { machineFamily } from "./machines.js";
import { BOOT_DEVICES, FIRMWARES } from "./values.js";

/** The agent's re-check of a resolved domain's firmware and boot (kinds/spec-checker.ts); see semantics.ts. */
export function checkFirmwareSpec(c: SpecChecker, d: DomainSpec): void {
  if (d.firmware !== undefined && !(FIRMWARES as readonly string[]).includes(d.firmware))
    c.add("firmware", "must be bios or uefi");
  if (d.secureBoot === true && d.firmware !== "uefi") c.add("secureBoot", "Secure Boot needs firmware: uefi");
  if (d.secureBoot === true && typeof d.machine === "string" && machineFamily(d.machine) !== "q35")
    c.add("machine", "secureBoot needs a q35 machine");
  if (d.boot !== undefined) {
    if (!Array.isArray(d.boot) || d.boot.some((b) => !(BOOT_DEVICES as readonly string[]).includes(b)))
      c.add("boot", "each entry must be disk, cdrom or network");
    else if (new Set(d.boot).size !== d.boot.length) c.add("boot", "a device type is listed twice");
  }
  if (d.kernel !== undefined) {
    c.path(d.kernel.path, "kernel.path");
    if (d.kernel.initrd !== undefined) c.path(d.kernel.initrd, "kernel.initrd");
    if (typeof d.kernel.cmdline === "string" && d.kernel.cmdline !== d.kernel.cmdline.trim())
      c.add("kernel.cmdline", "must not start or end with white space");
  }
}
