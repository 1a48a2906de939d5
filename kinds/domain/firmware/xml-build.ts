/**
 * The firmware and boot area's XML (added to `<os>` and `<features>`):
 * - `firmware: uefi` → `<os firmware='efi'>` with `<firmware><feature enabled='no'
 *   name='secure-boot'/></firmware>`: libvirt's firmware auto-selection (QEMU firmware
 *   descriptors in /usr/share/qemu/firmware) picks, when the guest starts, OVMF without
 *   Secure Boot (Debian: OVMF_CODE_4M.fd with the OVMF_VARS_4M.fd template) and creates the
 *   guest's NVRAM (/var/lib/libvirt/qemu/nvram/NAME_VARS.fd), which it keeps across restarts.
 *   Without the feature list libvirt 9.0 picks the first descriptor, the Secure Boot one that
 *   needs SMM. libvirt 9.0 keeps `<loader>`/`<nvram>` out of the inactive XML.
 * - `kernel` → `<kernel>`, `<initrd>`, `<cmdline>`.
 */
import { xmlString, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { DomainXmlParts } from "../area.js";
import type { DomainBuildContext } from "../parsed.js";
import type { DomainSpec } from "../spec.js";

export function buildFirmware(spec: DomainSpec, _ctx: DomainBuildContext, parts: DomainXmlParts, where: string): void {
  const os = parts.os;
  if (spec.firmware === "uefi") {
    os["@_firmware"] = "efi";
    const features: XmlNode[] = [{ "@_enabled": "no", "@_name": "secure-boot" }];
    os.firmware = { feature: features };
  }
  if (spec.kernel !== undefined) {
    os.kernel = xmlString(spec.kernel.path, `${where}: kernel.path`);
    if (spec.kernel.initrd !== undefined) os.initrd = xmlString(spec.kernel.initrd, `${where}: kernel.initrd`);
    if (spec.kernel.cmdline !== undefined && spec.kernel.cmdline !== "")
      os.cmdline = xmlString(spec.kernel.cmdline, `${where}: kernel.cmdline`);
  }
}
