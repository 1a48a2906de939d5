import { child, text, type XmlNode } from "../../libvirt-xml/xml-io.js";
import { readMetadataNode } from "../../libvirt-xml/metadata.js";
import type { ParsedMetadata } from "./parsed.js";

export function parseMetadata(d: XmlNode): ParsedMetadata {
  return {
    title: text(d, "title") || null,
    description: text(d, "description") || null,
    labels: readMetadataNode(child(d, "metadata"))?.labels ?? {},
  };
}
