import { attr, children, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { ParsedDevices, ParsedGraphics } from "./parsed.js";

/** The devices area's elements of `<devices>`. */
export function parseDevices(devices: XmlNode | undefined): ParsedDevices {
  return { graphics: children(devices, "graphics").map(parseGraphics) };
}

function parseGraphics(g: XmlNode): ParsedGraphics {
  const listenEl = children(g, "listen").find((l) => attr(l, "type") === "address");
  return { type: attr(g, "type") ?? "", listen: attr(g, "listen") ?? attr(listenEl, "address") };
}
