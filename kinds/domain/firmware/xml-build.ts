/**
 * The firmware and boot area's XML (added to `<os>`, `<features>` and `<devices>`):
 * - `firmware: uefi` → `<os firmware='efi'>` with a `<firmware>` feature list; libvirt's
 *   firmware auto-selection (the QEMU firmware descriptors in /usr/share/qemu/firmware) picks
 *   the OVMF build when the guest starts and creates the guest's NVRAM from its template
 *   (/var/lib/libvirt/qemu/nvram/NAME_VARS.fd), which it keeps across restarts. Debian 12:
 *   without Secure Boot (`secure-boot` disabled) OVMF_CODE_4M.fd + OVMF_VARS_4M.fd; with it
 *   (`secure-boot` and `enrolled-keys` enabled, `<smm state='on'/>`) OVMF_CODE_4M.ms.fd (a
 *   link to .secboot.fd) + OVMF_VARS_4M.ms.fd (Microsoft's keys enrolled). Without any
 *   feature libvirt 9.0 takes the first descriptor, the Secure Boot one, which needs SMM.
 *   libvirt 9.0 keeps `<loader>` (and a default `<nvram>`) out of the inactive XML. A Secure
 *   Boot guest's NVRAM has its own file, written as `<nvram>` (nvram.ts says why).
 * - `tpm: true` → `<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>`
 *   (swtpm; state under /var/lib/libvirt/swtpm/UUID, removed with the guest).
 * - `boot` → `<boot dev='hd|cdrom|network'/>` in order.
 * - `kernel` → `<kernel>`, `<initrd>`, `<cmdline>`.
 */
import { xmlString, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { DomainXmlParts } from "../area.js";
import type { DomainBuildContext } from "../parsed.js";
import type { DomainSpec } from "../spec.js";
import { secureBootNvramPath } from "./nvram.js";
import type { BOOT_DEVICES } from "./values.js";

/** Spec boot device → libvirt's `<boot dev>`. */
export const BOOT_DEV: Record<(typeof BOOT_DEVICES)[number], string> = {
  disk: "hd",
  cdrom: "cdrom",
  network: "network",
};

/** What `tpm: true` stands for, as ParsedFirmware.tpms lists it. */
export const SPEC_TPM = "tpm-crb/emulator/2.0";

export function buildFirmware(spec: DomainSpec, _ctx: DomainBuildContext, parts: DomainXmlParts, where: string): void {
  const os = parts.os;
  if (spec.firmware === "uefi") {
    os["@_firmware"] = "efi";
    const sb = spec.secureBoot === true;
    const features: XmlNode[] = [{ "@_enabled": sb ? "yes" : "no", "@_name": "secure-boot" }];
    os.firmware = { feature: features };
    if (sb) {
      features.push({ "@_enabled": "yes", "@_name": "enrolled-keys" });
      parts.features.smm = { "@_state": "on" };
      os.nvram = xmlString(secureBootNvramPath(spec.name), `${where}: nvram`);
    }
  }
  if (spec.kernel !== undefined) {
    os.kernel = xmlString(spec.kernel.path, `${where}: kernel.path`);
    if (spec.kernel.initrd !== undefined) os.initrd = xmlString(spec.kernel.initrd, `${where}: kernel.initrd`);
    if (spec.kernel.cmdline !== undefined && spec.kernel.cmdline !== "")
      os.cmdline = xmlString(spec.kernel.cmdline, `${where}: kernel.cmdline`);
  }
  if (spec.boot !== undefined && spec.boot.length > 0) os.boot = spec.boot.map((b) => ({ "@_dev": BOOT_DEV[b] }));
  if (spec.tpm === true)
    parts.devices.tpm = [{ "@_model": "tpm-crb", backend: { "@_type": "emulator", "@_version": "2.0" } }];
}
