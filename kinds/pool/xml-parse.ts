/**
 * Actual pool XML (`pool-dumpxml`). Ignores what libvirt adds: capacity/allocation/available,
 * <source/>, permissions.
 */
import { ProtocolError } from "../../common/errors.js";
import type { ParsedPool } from "./parsed.js";
import { attr, child, parseXml, text } from "../libvirt-xml/xml-io.js";

export function parsePoolXml(xml: string): ParsedPool {
  const p = parseXml(xml, "pool");
  const name = text(p, "name");
  if (!name) throw new ProtocolError("pool XML from libvirt has no <name>");
  return {
    name,
    uuid: text(p, "uuid")?.toLowerCase() ?? null,
    type: attr(p, "type") ?? "",
    path: text(child(p, "target"), "path"),
  };
}
