/**
 * Actual pool (`pool-dumpxml`) and volume (`vol-dumpxml`) XML. Ignores what libvirt adds:
 * pool capacity/allocation/available, <source/>, permissions; volume key, allocation,
 * physical, permissions, timestamps, compat, clusterSize.
 */
import { ProtocolError } from "../../common/errors.js";
import type { ParsedPool, ParsedVolume } from "../libvirt-xml/parsed-types.js";
import { scaledToBytes } from "../libvirt-xml/units.js";
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
