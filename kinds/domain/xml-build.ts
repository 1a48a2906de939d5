/**
 * Desired domain XML from a resolved DomainSpec.
 *
 * Contract:
 * - disks are `type='volume'` (`<source pool volume/>`), so the stored XML names the same
 *   pool/volume the spec does; `<driver type>` comes from `ctx.diskPaths` (required);
 * - cdroms are sata, read-only: pool/volume ones `type='volume'`, path ones `type='file'`;
 * - NICs are `type='network'` with the pinned MAC (lower-cased) and `<model>`;
 * - memory and currentMemory are the same, in KiB (bytes rounded up to a KiB);
 * - `<console type='pty'/>` + `<serial type='pty'/>` always; graphics `vnc` listens on
 *   127.0.0.1 only, `none` adds no <graphics>;
 * - `<features><acpi/><apic/>` so a graceful shutdown (ACPI power button) works;
 * - the spec hash (and policy) go into virtfleet's <metadata> element;
 * - to UPDATE an existing domain the engine calls this with `uuid: actual.uuid` and
 *   redefines: libvirt refuses a definition whose name exists under another UUID, and
 *   re-adds addresses, controllers and other defaults itself. No merge with the old XML.
 */
import type { CdromSpec, DiskSpec, DomainSpec, InterfaceSpec } from "./spec.js";
import { ValidationError } from "../../common/errors.js";
import { metadataNode } from "../libvirt-xml/metadata.js";
import { CDROM_BUS, targetNames } from "./target-names.js";
import type { DomainBuildContext } from "./parsed.js";
import { bytesToKiB } from "../libvirt-xml/units.js";
import { buildXml, xmlChoice, xmlString, xmlUuid, type XmlNode } from "../libvirt-xml/xml-io.js";

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export function buildDomainXml(spec: DomainSpec, ctx: DomainBuildContext): string {
  const where = `domain ${spec.name}`;
  positiveInt(spec.vcpus, `${where}: vcpus`);
  positiveInt(spec.memoryBytes, `${where}: memoryBytes`);
  const uuid = ctx.uuid === undefined ? undefined : xmlUuid(ctx.uuid, `${where}: uuid`);
  const graphics = xmlChoice(spec.graphics, ["none", "vnc"], `${where}: graphics`);

  const type: XmlNode = { "#text": "hvm" };
  if (ctx.arch !== undefined) type["@_arch"] = xmlString(ctx.arch, `${where}: arch`);
  if (spec.machine !== null) type["@_machine"] = xmlString(spec.machine, `${where}: machine`);

  const cpu: XmlNode = { "@_mode": xmlChoice(spec.cpu, ["host-model", "host-passthrough"], `${where}: cpu`) };
  if (ctx.cpuDisabledFeatures?.length) {
    cpu.feature = ctx.cpuDisabledFeatures.map((f) => ({
      "@_policy": "disable",
      "@_name": xmlString(f, `${where}: cpu feature`),
    }));
  }

  const names = targetNames(spec);
  const devices: XmlNode = {};
  const disks = [
    ...spec.disks.map((d, i) => diskNode(d, names.disks[i]!, ctx, `${where}: disks[${i}]`)),
    ...spec.cdroms.map((c, i) => cdromNode(c, names.cdroms[i]!, ctx, `${where}: cdroms[${i}]`)),
  ];
  if (disks.length) devices.disk = disks;
  if (spec.interfaces.length)
    devices.interface = spec.interfaces.map((n, i) => interfaceNode(n, `${where}: interfaces[${i}]`));
  devices.serial = { "@_type": "pty" };
  devices.console = { "@_type": "pty" };
  if (graphics === "vnc") {
    devices.graphics = {
      "@_type": "vnc",
      "@_port": "-1",
      "@_autoport": "yes",
      "@_listen": "127.0.0.1",
      listen: { "@_type": "address", "@_address": "127.0.0.1" },
    };
  }

  const domain: XmlNode = {
    "@_type": xmlString(ctx.domainType, `${where}: domainType`),
    name: xmlString(spec.name, `${where}: name`),
  };
  if (uuid !== undefined) domain.uuid = uuid;
  const description = spec.description ?? ctx.keepDescription ?? null;
  if (description) domain.description = xmlString(description, `${where}: description`);
  domain.metadata = metadataNode(ctx.specHash, ctx.policy, ctx.createdBy);
  const kib = bytesToKiB(spec.memoryBytes);
  domain.memory = { "@_unit": "KiB", "#text": String(kib) };
  domain.currentMemory = { "@_unit": "KiB", "#text": String(kib) };
  domain.vcpu = { "@_placement": "static", "#text": String(spec.vcpus) };
  domain.os = { type };
  domain.features = { acpi: "", apic: "" };
  domain.cpu = cpu;
  domain.devices = devices;
  return buildXml("domain", domain);
}

export function diskNode(d: DiskSpec, target: string, ctx: DomainBuildContext, where: string): XmlNode {
  const key = `${d.pool}/${d.volume}`;
  const ref = ctx.diskPaths.get(key);
  if (ref === undefined)
    throw new ValidationError(
      `${where}: volume ${key} is not resolved (diskPaths has no entry); create or look up the volume first`,
    );
  return {
    "@_type": "volume",
    "@_device": "disk",
    driver: { "@_name": "qemu", "@_type": xmlString(ref.format, `${where}: format`) },
    source: { "@_pool": xmlString(d.pool, `${where}: pool`), "@_volume": xmlString(d.volume, `${where}: volume`) },
    target: { "@_dev": target, "@_bus": xmlChoice(d.bus, ["virtio", "sata", "scsi"], `${where}: bus`) },
  };
}

export function cdromNode(c: CdromSpec, target: string, ctx: DomainBuildContext, where: string): XmlNode {
  if ("path" in c) {
    return {
      "@_type": "file",
      "@_device": "cdrom",
      driver: { "@_name": "qemu", "@_type": "raw" },
      source: { "@_file": xmlString(c.path, `${where}: path`) },
      target: { "@_dev": target, "@_bus": CDROM_BUS },
      readonly: "",
    };
  }
  const ref = ctx.cdromPaths?.get(`${c.pool}/${c.volume}`);
  return {
    "@_type": "volume",
    "@_device": "cdrom",
    driver: { "@_name": "qemu", "@_type": xmlString(ref?.format ?? "raw", `${where}: format`) },
    source: { "@_pool": xmlString(c.pool, `${where}: pool`), "@_volume": xmlString(c.volume, `${where}: volume`) },
    target: { "@_dev": target, "@_bus": CDROM_BUS },
    readonly: "",
  };
}

export function interfaceNode(n: InterfaceSpec, where: string): XmlNode {
  if (!MAC_RE.test(n.mac))
    throw new ValidationError(`${where}: mac ${JSON.stringify(n.mac)} is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return {
    "@_type": "network",
    mac: { "@_address": n.mac.toLowerCase() },
    source: { "@_network": xmlString(n.network, `${where}: network`) },
    model: { "@_type": xmlChoice(n.model, ["virtio", "e1000", "e1000e", "rtl8139"], `${where}: model`) },
  };
}

function positiveInt(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw new ValidationError(`${what} must be a positive integer, got ${n}`);
}
