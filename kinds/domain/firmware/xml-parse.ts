import { attr, child, text, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { ParsedFirmware } from "./parsed.js";

/** The firmware and boot area's part of `<os>` (and `<features>`). */
export function parseFirmware(d: XmlNode): ParsedFirmware {
  const os = child(d, "os");
  const loader = child(os, "loader");
  const uefi = attr(os, "firmware") === "efi" || attr(loader, "type") === "pflash";
  const path = text(os, "kernel");
  let kernel: ParsedFirmware["kernel"] = null;
  if (path) {
    const initrd = text(os, "initrd");
    const cmdline = text(os, "cmdline");
    kernel = { path, ...(initrd ? { initrd } : {}), ...(cmdline ? { cmdline } : {}) };
  }
  return { firmware: uefi ? "uefi" : "bios", kernel };
}
