/**
 * Actual domain XML (use the INACTIVE XML: `virsh dumpxml --inactive`,
 * VIR_DOMAIN_XML_INACTIVE) to a ParsedDomain: the core here, each area's part by its
 * xml-parse.ts. Reads only what a DomainSpec can set; everything else libvirt writes is ignored.
 */
import { ProtocolError } from "../../common/errors.js";
import { readMetadataNode } from "../libvirt-xml/metadata.js";
import { attr, child, parseXml, text } from "../libvirt-xml/xml-io.js";
import { parseCpuMemory } from "./cpu-memory/xml-parse.js";
import { parseDevices } from "./devices/xml-parse.js";
import { parseDisks } from "./disks/xml-parse.js";
import { parseFirmware } from "./firmware/xml-parse.js";
import { parseMetadata } from "./metadata/xml-parse.js";
import { parseNics } from "./nics/xml-parse.js";
import type { ParsedDomain } from "./parsed.js";

export function parseDomainXml(xml: string): ParsedDomain {
  const d = parseXml(xml, "domain");
  const name = text(d, "name");
  if (!name) throw new ProtocolError("domain XML from libvirt has no <name>");
  const osType = child(child(d, "os"), "type");
  const devices = child(d, "devices");
  const meta = readMetadataNode(child(d, "metadata"));
  return {
    name,
    uuid: text(d, "uuid")?.toLowerCase() ?? null,
    domainType: attr(d, "type") ?? "",
    arch: attr(osType, "arch"),
    machine: attr(osType, "machine"),
    ...parseMetadata(d),
    ...parseCpuMemory(d, name),
    ...parseFirmware(d),
    ...parseDisks(devices),
    ...parseNics(devices),
    ...parseDevices(devices),
    specHash: meta?.specHash ?? null,
    policy: meta?.policy ?? null,
    ...(meta?.createdBy ? { createdBy: meta.createdBy } : {}),
  };
}
