import { isIP } from "node:net";
import type { SpecChecker } from "../../spec-checker.js";
import type { DomainSpec } from "../spec.js";
import { canonicalPci, canonicalUsbId, canonicalUuid } from "./addresses.js";

/**
 * The agent's re-check of a resolved domain's devices (kinds/spec-checker.ts): graphics listen
 * an IP address and passwordFile an absolute path; host device identifiers in canonical form;
 * virtiofs sources absolute paths. (Enumerations are the resolved schema's.)
 */
export function checkDevicesSpec(c: SpecChecker, d: DomainSpec): void {
  const g = d.graphics;
  if (typeof g === "object" && g !== null) {
    if (typeof g.listen !== "string" || isIP(g.listen) === 0) c.add("graphics.listen", "must be an IP address");
    if (g.passwordFile !== undefined) c.path(g.passwordFile, "graphics.passwordFile");
  }
  (d.hostdevs ?? []).forEach((h, i) => {
    const ok =
      "pci" in h
        ? canonicalPci(h.pci) === h.pci
        : "usb" in h
          ? canonicalUsbId(h.usb.vendor) === h.usb.vendor && canonicalUsbId(h.usb.product) === h.usb.product
          : canonicalUuid(h.mdev) === h.mdev;
    if (!ok) c.add(`hostdevs[${i}]`, "must be a canonical PCI address, USB vendor/product ids or an mdev UUID");
  });
  (d.filesystems ?? []).forEach((f, i) => {
    c.path(f.source, `filesystems[${i}].source`);
    if (typeof f.target !== "string" || f.target.length === 0 || f.target.length > 36)
      c.add(`filesystems[${i}].target`, "must be a mount tag of 1 to 36 characters");
  });
}
