/**
 * The firmware and boot area's diff. Disruption on a RUNNING guest: every field is `restart`
 * (the definition changes; QEMU sees it at the next boot).
 * - `firmware`: absent in the spec means bios.
 * - `secureBoot`: absent means false; compared as the feature list + SMM + the guest's own
 *   Secure Boot NVRAM file the builder writes (libvirt's order of the features does not matter).
 * - `tpm`: absent means false (no `<tpm>` at all); true is exactly one tpm-crb emulated 2.0.
 * - `boot`: absent accepts libvirt's default (`<boot dev='hd'/>`, or none when devices carry
 *   their own boot order); otherwise the list, in order.
 * - `kernel`: absent means no direct kernel boot; an empty cmdline equals none (not written).
 */
import { canonicalJson } from "../../../common/canonical-json.js";
import type { AddChange } from "../area.js";
import type { DomainSpec } from "../spec.js";
import type { ParsedFirmware } from "./parsed.js";
import { secureBootNvramPath } from "./nvram.js";
import { SPEC_TPM } from "./xml-build.js";

export function diffFirmware(desired: DomainSpec, actual: ParsedFirmware, add: AddChange): void {
  const firmware = desired.firmware ?? "bios";
  if (actual.firmware !== firmware) add("firmware", actual.firmware, firmware, "restart");

  const secureBoot = firmware === "uefi" && desired.secureBoot === true;
  // A Secure Boot guest's store is its own file (nvram.ts); another one may lack the keys.
  const haveSecureBoot = actual.secureBoot && (!secureBoot || actual.nvram === secureBootNvramPath(desired.name));
  if (haveSecureBoot !== secureBoot) add("secureBoot", haveSecureBoot, secureBoot, "restart");

  const tpm = desired.tpm === true;
  const tpmOk = tpm ? actual.tpms.length === 1 && actual.tpms[0] === SPEC_TPM : actual.tpms.length === 0;
  if (!tpmOk) add("tpm", tpmShown(actual.tpms), tpm, "restart");

  const boot = desired.boot;
  const bootOk =
    boot === undefined || boot.length === 0
      ? actual.boot.length === 0 || (actual.boot.length === 1 && actual.boot[0] === "disk")
      : canonicalJson(boot) === canonicalJson(actual.boot);
  if (!bootOk) add("boot", actual.boot, boot ?? null, "restart");

  const kernel = normalKernel(desired.kernel);
  const have = normalKernel(actual.kernel ?? undefined);
  if (canonicalJson(kernel) !== canonicalJson(have)) add("kernel", have, kernel, "restart");
}

/** What the guest has, as a report shows it: false, true (the spec's vTPM) or the devices. */
function tpmShown(tpms: string[]): boolean | string[] {
  if (tpms.length === 0) return false;
  return tpms.length === 1 && tpms[0] === SPEC_TPM ? true : tpms;
}

function normalKernel(k: DomainSpec["kernel"] | undefined): DomainSpec["kernel"] | null {
  if (k === undefined) return null;
  return {
    path: k.path,
    ...(k.initrd !== undefined ? { initrd: k.initrd } : {}),
    ...(k.cmdline ? { cmdline: k.cmdline } : {}),
  };
}
