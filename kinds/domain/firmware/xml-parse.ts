import { attr, child, children, text, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { ParsedFirmware } from "./parsed.js";

const DEV_NAME: Record<string, string> = { hd: "disk", cdrom: "cdrom", network: "network", fd: "floppy" };

/** The firmware and boot area's part of `<os>`, `<features>` and `<devices>`. */
export function parseFirmware(d: XmlNode): ParsedFirmware {
  const os = child(d, "os");
  const loader = child(os, "loader");
  const uefi = attr(os, "firmware") === "efi" || attr(loader, "type") === "pflash";
  const enabled = new Set(
    children(child(os, "firmware"), "feature")
      .filter((f) => attr(f, "enabled") === "yes")
      .map((f) => attr(f, "name")),
  );
  const smm = child(child(d, "features"), "smm");
  const smmOn = smm !== undefined && (attr(smm, "state") ?? "on") === "on";
  const secureFirmware =
    (enabled.has("secure-boot") && enabled.has("enrolled-keys")) || attr(loader, "secure") === "yes";
  const path = text(os, "kernel");
  let kernel: ParsedFirmware["kernel"] = null;
  if (path) {
    const initrd = text(os, "initrd");
    const cmdline = text(os, "cmdline");
    kernel = { path, ...(initrd ? { initrd } : {}), ...(cmdline ? { cmdline } : {}) };
  }
  return {
    firmware: uefi ? "uefi" : "bios",
    secureBoot: uefi && secureFirmware && smmOn,
    nvram: text(os, "nvram") || null,
    tpms: children(child(d, "devices"), "tpm").map((t) => {
      const backend = child(t, "backend");
      return `${attr(t, "model") ?? "tpm-tis"}/${attr(backend, "type") ?? "?"}/${attr(backend, "version") ?? "default"}`;
    }),
    boot: children(os, "boot").map((b) => {
      const dev = attr(b, "dev") ?? "";
      return DEV_NAME[dev] ?? dev;
    }),
    kernel,
  };
}
