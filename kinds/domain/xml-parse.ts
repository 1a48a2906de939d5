/**
 * Actual domain XML (use the INACTIVE XML: `virsh dumpxml --inactive`,
 * VIR_DOMAIN_XML_INACTIVE) to a ParsedDomain. Reads only what a DomainSpec can set;
 * everything else libvirt writes is ignored.
 */
import { ProtocolError } from "../../common/errors.js";
import { readMetadataNode } from "../libvirt-xml/metadata.js";
import type { ParsedDisk, ParsedDomain, ParsedGraphics, ParsedInterface } from "./parsed.js";
import { scaledToBytes } from "../libvirt-xml/units.js";
import { attr, child, children, parseXml, text, toInt, type XmlNode } from "../libvirt-xml/xml-io.js";

export function parseDomainXml(xml: string): ParsedDomain {
  const d = parseXml(xml, "domain");
  const name = text(d, "name");
  if (!name) throw new ProtocolError("domain XML from libvirt has no <name>");

  const vcpuNode = child(d, "vcpu");
  const maxVcpus = vcpuNode ? toInt(text(vcpuNode), `domain ${name} <vcpu>`) : 1;
  const current = attr(vcpuNode, "current");
  const vcpus = current !== null ? toInt(current, `domain ${name} <vcpu current>`) : maxVcpus;

  const memNode = child(d, "memory");
  if (!memNode) throw new ProtocolError(`domain ${name} XML from libvirt has no <memory>`);
  const memoryBytes = scaledToBytes(memNode, "KiB", `domain ${name} <memory>`);
  const curNode = child(d, "currentMemory");
  const currentMemoryBytes = curNode ? scaledToBytes(curNode, "KiB", `domain ${name} <currentMemory>`) : memoryBytes;

  const osType = child(child(d, "os"), "type");
  const cpuNode = child(d, "cpu");
  const devices = child(d, "devices");

  const disks: ParsedDisk[] = [];
  const cdroms: ParsedDisk[] = [];
  for (const disk of children(devices, "disk")) {
    const device = attr(disk, "device") ?? "disk";
    if (device === "disk") disks.push(parseDisk(disk));
    else if (device === "cdrom") cdroms.push(parseDisk(disk));
  }
  const meta = readMetadataNode(child(d, "metadata"));

  return {
    name,
    description: text(d, "description") || null,
    uuid: text(d, "uuid")?.toLowerCase() ?? null,
    domainType: attr(d, "type") ?? "",
    arch: attr(osType, "arch"),
    vcpus,
    maxVcpus,
    memoryBytes,
    currentMemoryBytes,
    cpu: cpuNode ? (attr(cpuNode, "mode") ?? "custom") : null,
    cpuDisabledFeatures: children(cpuNode, "feature")
      .filter((f) => attr(f, "policy") === "disable")
      .map((f) => attr(f, "name") ?? ""),
    machine: attr(osType, "machine"),
    disks,
    cdroms,
    interfaces: children(devices, "interface").map(parseInterface),
    graphics: children(devices, "graphics").map(parseGraphics),
    specHash: meta?.specHash ?? null,
    policy: meta?.policy ?? null,
    ...(meta?.createdBy ? { createdBy: meta.createdBy } : {}),
  };
}

function parseDisk(disk: XmlNode): ParsedDisk {
  const source = child(disk, "source");
  const target = child(disk, "target");
  const type = attr(disk, "type") ?? "file";
  return {
    target: attr(target, "dev") ?? "",
    bus: attr(target, "bus") ?? "",
    pool: type === "volume" ? attr(source, "pool") : null,
    volume: type === "volume" ? attr(source, "volume") : null,
    path: type === "file" ? attr(source, "file") : type === "block" ? attr(source, "dev") : null,
    format: attr(child(disk, "driver"), "type"),
  };
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

function parseGraphics(g: XmlNode): ParsedGraphics {
  const listenEl = children(g, "listen").find((l) => attr(l, "type") === "address");
  return { type: attr(g, "type") ?? "", listen: attr(g, "listen") ?? attr(listenEl, "address") };
}
