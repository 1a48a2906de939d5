/**
 * The firmware and boot area's diff. Disruption on a RUNNING guest: every field is `restart`
 * (the definition changes; QEMU sees it at the next boot).
 * - `firmware`: absent in the spec means bios.
 * - `kernel`: absent means no direct kernel boot; an empty cmdline equals none (libvirt drops it).
 */
import { canonicalHash } from "../../../common/canonical-json.js";
import type { AddChange } from "../area.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedFirmware } from "./parsed.js";

export function diffFirmware(desired: DomainSpec, actual: ParsedFirmware, add: AddChange): void {
  const firmware = desired.firmware ?? "bios";
  if (actual.firmware !== firmware) add("firmware", actual.firmware, firmware, "restart");
  const kernel = normalKernel(desired.kernel);
  const have = normalKernel(actual.kernel ?? undefined);
  if (canonicalHash(kernel) !== canonicalHash(have)) add("kernel", have, kernel, "restart");
}

function normalKernel(k: DomainSpec["kernel"] | undefined): DomainSpec["kernel"] | null {
  if (k === undefined) return null;
  return {
    path: k.path,
    ...(k.initrd !== undefined ? { initrd: k.initrd } : {}),
    ...(k.cmdline ? { cmdline: k.cmdline } : {}),
  };
}
