import { text, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { ParsedMetadata } from "./parsed.js";

export function parseMetadata(d: XmlNode): ParsedMetadata {
  return { description: text(d, "description") || null };
}
