import { attr, child, children, parseXml, text, type XmlNode } from "../../libvirt-xml/xml-io.js";
import { canonicalPci, canonicalUsbId, canonicalUuid, formatPciAddress, hostdevKey } from "./addresses.js";
import type { ParsedDevices, ParsedGraphics } from "./parsed.js";
import { passwordDigest } from "./password-file.js";

/** The devices area's elements of `<devices>` (what libvirt adds — addresses, aliases, source paths — is not read). */
export function parseDevices(devices: XmlNode | undefined): ParsedDevices {
  return {
    graphics: children(devices, "graphics").map(parseGraphics),
    serialTypes: children(devices, "serial").map((s) => attr(s, "type") ?? ""),
    consoleTypes: children(devices, "console").map((s) => attr(s, "type") ?? ""),
    channelNames: children(devices, "channel")
      .map((ch) => child(ch, "target"))
      .filter((t) => attr(t, "type") === "virtio")
      .map((t) => attr(t, "name") ?? ""),
    rngs: children(devices, "rng").map((r) => {
      const backend = child(r, "backend");
      return [attr(r, "model"), attr(backend, "model"), text(backend) ?? ""].join(" ");
    }),
    watchdogs: children(devices, "watchdog").map((w) => ({
      model: attr(w, "model") ?? "",
      action: attr(w, "action") ?? "reset",
    })),
    hostdevs: children(devices, "hostdev").map(parseHostdev),
    filesystems: children(devices, "filesystem").map((f) => ({
      driver: attr(child(f, "driver"), "type") ?? "path",
      source: attr(child(f, "source"), "dir"),
      target: attr(child(f, "target"), "dir"),
    })),
  };
}

function parseGraphics(g: XmlNode): ParsedGraphics {
  const listenEl = children(g, "listen").find((l) => attr(l, "type") === "address");
  return { type: attr(g, "type") ?? "", listen: attr(g, "listen") ?? attr(listenEl, "address") };
}

function parseHostdev(h: XmlNode): string {
  const type = attr(h, "type") ?? "";
  const source = child(h, "source");
  if (type === "pci") {
    const a = child(source, "address");
    const n = (k: string) => Number.parseInt(attr(a, k) ?? "", 16);
    const addr = { domain: n("domain"), bus: n("bus"), slot: n("slot"), function: n("function") };
    if (Object.values(addr).some(Number.isNaN)) return "pci ?";
    return hostdevKey({ pci: canonicalPci(formatPciAddress(addr)) ?? "?" });
  }
  if (type === "usb") {
    const vendor = canonicalUsbId(attr(child(source, "vendor"), "id") ?? "");
    const product = canonicalUsbId(attr(child(source, "product"), "id") ?? "");
    return vendor && product ? hostdevKey({ usb: { vendor, product } }) : "usb ?";
  }
  if (type === "mdev") {
    const uuid = canonicalUuid(attr(child(source, "address"), "uuid") ?? "");
    return uuid ? hostdevKey({ mdev: uuid, model: attr(h, "model") ?? "" }) : "mdev ?";
  }
  return `${type} ?`;
}

/**
 * Keyed digests (password-file.ts) of the `passwd` of each `<graphics>` in a domain XML read
 * with VIR_DOMAIN_XML_SECURE (`hv.domainXml(ref, { secure: true })`); null where a console has
 * none. The password itself is dropped here and never leaves this function.
 */
export function graphicsPasswordDigests(secureXml: string): (string | null)[] {
  const devices = child(parseXml(secureXml, "domain"), "devices");
  return children(devices, "graphics").map((g) => passwordDigest(attr(g, "passwd")));
}
