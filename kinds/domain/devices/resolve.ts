import type { DomainDocument, DomainSpec } from "../spec.js";
import { canonicalPci, canonicalUsbId, canonicalUuid } from "./addresses.js";
import type { HostdevSpec } from "./schema.js";
import { DEFAULT_GRAPHICS_LISTEN } from "./values.js";

type DevicesSpec = Pick<
  DomainSpec,
  "graphics" | "guestAgent" | "console" | "rng" | "watchdog" | "hostdevs" | "filesystems"
>;

/**
 * Devices resolved. Defaults: graphics none; console serial; no guest agent, RNG, watchdog,
 * host devices or shares. A field at its default is LEFT OUT (so is `graphics` in its old
 * string form): `{type: vnc}` on 127.0.0.1 without a password resolves to `vnc`, `{type: none}`
 * to `none`, so the spec hash of a guest that does not use the new fields is unchanged.
 * Identifiers are canonical (addresses.ts); the semantics have rejected malformed ones.
 */
export function resolveDevices(d: DomainDocument): DevicesSpec {
  const out: DevicesSpec = { graphics: resolveGraphics(d.graphics) };
  if (d.guestAgent === true) out.guestAgent = true;
  if (d.console === "none") out.console = "none";
  if (d.rng === true) out.rng = true;
  if (d.watchdog) out.watchdog = { model: d.watchdog.model, action: d.watchdog.action ?? "reset" };
  if (d.hostdevs?.length) out.hostdevs = d.hostdevs.map(resolveHostdev);
  if (d.filesystems?.length)
    out.filesystems = d.filesystems.map((f) => ({
      source: f.source,
      target: f.target,
      driver: f.driver ?? "virtiofs",
    }));
  return out;
}

function resolveGraphics(g: DomainDocument["graphics"]): DomainSpec["graphics"] {
  if (g === undefined) return "none";
  if (typeof g === "string") return g;
  if (g.type === "none") return "none";
  const listen = g.listen ?? DEFAULT_GRAPHICS_LISTEN;
  if (g.type === "vnc" && listen === DEFAULT_GRAPHICS_LISTEN && g.passwordFile === undefined) return "vnc";
  return { type: g.type, listen, ...(g.passwordFile !== undefined ? { passwordFile: g.passwordFile } : {}) };
}

function resolveHostdev(h: NonNullable<DomainDocument["hostdevs"]>[number]): HostdevSpec {
  if (h.pci !== undefined) return { pci: canonicalPci(h.pci) ?? h.pci };
  if (h.usb !== undefined)
    return {
      usb: {
        vendor: canonicalUsbId(h.usb.vendor) ?? h.usb.vendor,
        product: canonicalUsbId(h.usb.product) ?? h.usb.product,
      },
    };
  return { mdev: canonicalUuid(h.mdev ?? "") ?? h.mdev ?? "", model: h.model ?? "vfio-pci" };
}
