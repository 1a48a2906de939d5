import type { SpecChecker } from "../../spec-checker.js";
import type { DomainSpec } from "../spec.js";

/** The agent's re-check of a resolved domain's firmware and boot (kinds/spec-checker.ts). */
export function checkFirmwareSpec(c: SpecChecker, d: DomainSpec): void {
  if (d.firmware !== undefined && d.firmware !== "bios" && d.firmware !== "uefi")
    c.add("firmware", "must be bios or uefi");
  if (d.kernel !== undefined) {
    c.path(d.kernel.path, "kernel.path");
    if (d.kernel.initrd !== undefined) c.path(d.kernel.initrd, "kernel.initrd");
    if (typeof d.kernel.cmdline === "string" && d.kernel.cmdline !== d.kernel.cmdline.trim())
      c.add("kernel.cmdline", "must not start or end with white space");
  }
}
