import type { XmlNode } from "../../libvirt-xml/xml-io.js";
import type { ParsedFirmware } from "./parsed.js";

export function parseFirmware(_d: XmlNode): ParsedFirmware {
  return {};
}
