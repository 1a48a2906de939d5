/**
 * Host device identifiers in one canonical form, shared by the resolver (policy face), the
 * agent's checks and the XML parser, so a policy's `3B:00.1` and libvirt's
 * `domain='0x0000' bus='0x3b' slot='0x00' function='0x1'` compare equal.
 */

export interface PciAddress {
  domain: number;
  bus: number;
  slot: number;
  function: number;
}

const PCI = /^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/;

/** `dddd:bb:ss.f` or `bb:ss.f` (domain 0000) → the address, or null when malformed (slot above 0x1f too). */
export function parsePciAddress(text: string): PciAddress | null {
  const m = PCI.exec(text);
  if (!m) return null;
  const a = {
    domain: Number.parseInt(m[1] ?? "0000", 16),
    bus: Number.parseInt(m[2]!, 16),
    slot: Number.parseInt(m[3]!, 16),
    function: Number(m[4]),
  };
  return a.slot > 0x1f ? null : a;
}

/** The canonical text: lower-case `dddd:bb:ss.f`, as sysfs names the device. */
export function formatPciAddress(a: PciAddress): string {
  const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");
  return `${hex(a.domain, 4)}:${hex(a.bus, 2)}:${hex(a.slot, 2)}.${a.function}`;
}

/** A canonical PCI address text, or null when malformed. */
export function canonicalPci(text: string): string | null {
  const a = parsePciAddress(text);
  return a ? formatPciAddress(a) : null;
}

const USB_ID = /^(?:0[xX])?([0-9a-fA-F]{1,4})$/;

/** `0x0781`, `0781`, `0x781` → `0x0781`; null when not a 16-bit hex id. */
export function canonicalUsbId(text: string): string | null {
  const m = USB_ID.exec(text);
  return m ? `0x${m[1]!.toLowerCase().padStart(4, "0")}` : null;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A lower-case UUID, or null when malformed. */
export function canonicalUuid(text: string): string | null {
  return UUID.test(text) ? text.toLowerCase() : null;
}

/** One host device as a comparable key: `pci 0000:3b:00.1`, `usb 0x0781:0x5581`, `mdev UUID vfio-pci`. */
export function hostdevKey(
  h: { pci: string } | { usb: { vendor: string; product: string } } | { mdev: string; model: string },
): string {
  if ("pci" in h) return `pci ${h.pci}`;
  if ("usb" in h) return `usb ${h.usb.vendor}:${h.usb.product}`;
  return `mdev ${h.mdev} ${h.model}`;
}
