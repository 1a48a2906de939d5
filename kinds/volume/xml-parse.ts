/**
 * Actual volume XML (`vol-dumpxml`). Ignores what libvirt adds: key, allocation, physical,
 * permissions, timestamps, compat, clusterSize.
 */
import { ProtocolError } from "../../common/errors.js";
import { scaledToBytes } from "../libvirt-xml/units.js";
import { attr, child, parseXml, text } from "../libvirt-xml/xml-io.js";
import type { ParsedVolume } from "./parsed.js";

export function parseVolumeXml(xml: string): ParsedVolume {
  const v = parseXml(xml, "volume");
  const name = text(v, "name");
  if (!name) throw new ProtocolError("volume XML from libvirt has no <name>");
  const capacity = child(v, "capacity");
  if (!capacity) throw new ProtocolError(`volume ${name} XML from libvirt has no <capacity>`);
  const target = child(v, "target");
  const backing = child(v, "backingStore");
  return {
    name,
    path: text(target, "path"),
    capacityBytes: scaledToBytes(capacity, "bytes", `volume ${name} <capacity>`),
    format: attr(child(target, "format"), "type"),
    backingPath: text(backing, "path"),
    backingFormat: attr(child(backing, "format"), "type"),
  };
}
