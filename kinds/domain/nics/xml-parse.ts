import { attr, child, children, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { ParsedInterface, ParsedNics } from "./parsed.js";

/** `<interface>` elements of `<devices>`, in document order. */
export function parseNics(devices: XmlNode | undefined): ParsedNics {
  return { interfaces: children(devices, "interface").map(parseInterface) };
}

function parseInterface(n: XmlNode): ParsedInterface {
  const type = attr(n, "type") ?? "";
  const source = child(n, "source");
  return {
    mac: (attr(child(n, "mac"), "address") ?? "").toLowerCase(),
    type,
    network: type === "network" ? attr(source, "network") : type === "bridge" ? attr(source, "bridge") : null,
    model: attr(child(n, "model"), "type"),
  };
}
