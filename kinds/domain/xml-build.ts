/**
 * Desired domain XML from a resolved DomainSpec: the core here (type, name, uuid, virtfleet's
 * <metadata>, `<os><type>`, `<features><acpi/><apic/>` so a graceful shutdown works), each
 * area's elements by its xml-build.ts.
 *
 * Contract: to UPDATE an existing domain the engine calls this with `uuid: actual.uuid` and
 * redefines: libvirt refuses a definition whose name exists under another UUID, and re-adds
 * addresses, controllers and other defaults itself. No merge with the old XML.
 */
import { metadataNode } from "../libvirt-xml/metadata.js";
import { buildXml, xmlString, xmlUuid, type XmlNode } from "../libvirt-xml/xml-io.js";
import type { DomainXmlParts } from "./area.js";
import { buildCpuMemory } from "./cpu-memory/xml-build.js";
import { buildDevices } from "./devices/xml-build.js";
import { buildDisks } from "./disks/xml-build.js";
import { buildFirmware } from "./firmware/xml-build.js";
import { buildMetadata } from "./metadata/xml-build.js";
import { buildNics } from "./nics/xml-build.js";
import type { DomainBuildContext } from "./parsed.js";
import type { DomainSpec } from "./spec.js";

export function buildDomainXml(spec: DomainSpec, ctx: DomainBuildContext): string {
  const where = `domain ${spec.name}`;
  const uuid = ctx.uuid === undefined ? undefined : xmlUuid(ctx.uuid, `${where}: uuid`);

  const type: XmlNode = { "#text": "hvm" };
  if (ctx.arch !== undefined) type["@_arch"] = xmlString(ctx.arch, `${where}: arch`);
  if (spec.machine !== null) type["@_machine"] = xmlString(spec.machine, `${where}: machine`);

  const domain: XmlNode = {
    "@_type": xmlString(ctx.domainType, `${where}: domainType`),
    name: xmlString(spec.name, `${where}: name`),
  };
  if (uuid !== undefined) domain.uuid = uuid;
  const parts: DomainXmlParts = { domain, os: { type }, features: { acpi: "", apic: "" }, devices: {} };
  buildMetadata(spec, ctx, parts, where);
  domain.metadata = metadataNode(ctx.specHash, ctx.policy, ctx.createdBy, spec.labels);
  buildCpuMemory(spec, ctx, parts, where);
  buildFirmware(spec, ctx, parts, where);
  buildDisks(spec, ctx, parts, where);
  buildNics(spec, parts, where);
  buildDevices(spec, ctx, parts, where);
  domain.os = parts.os;
  domain.features = parts.features;
  domain.devices = parts.devices;
  return buildXml("domain", domain);
}
