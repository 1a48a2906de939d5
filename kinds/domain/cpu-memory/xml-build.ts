/**
 * The CPU and memory area's XML: `<memory>` and `<currentMemory>` the same, in KiB (bytes
 * rounded up to a KiB); `<vcpu placement='static'>`; `<cpu mode>` with the host's
 * `ctx.cpuDisabledFeatures` disabled.
 */
import { ValidationError } from "../../../common/errors.js";
import { bytesToKiB } from "../../libvirt-xml/units.js";
import { xmlChoice, xmlString, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { DomainXmlParts } from "../area.js";
import type { DomainBuildContext } from "../parsed.js";
import type { DomainSpec } from "../spec.js";

export function buildCpuMemory(spec: DomainSpec, ctx: DomainBuildContext, parts: DomainXmlParts, where: string): void {
  positiveInt(spec.vcpus, `${where}: vcpus`);
  positiveInt(spec.memoryBytes, `${where}: memoryBytes`);
  const cpu: XmlNode = { "@_mode": xmlChoice(spec.cpu, ["host-model", "host-passthrough"], `${where}: cpu`) };
  if (ctx.cpuDisabledFeatures?.length) {
    cpu.feature = ctx.cpuDisabledFeatures.map((f) => ({
      "@_policy": "disable",
      "@_name": xmlString(f, `${where}: cpu feature`),
    }));
  }
  const kib = bytesToKiB(spec.memoryBytes);
  parts.domain.memory = { "@_unit": "KiB", "#text": String(kib) };
  parts.domain.currentMemory = { "@_unit": "KiB", "#text": String(kib) };
  parts.domain.vcpu = { "@_placement": "static", "#text": String(spec.vcpus) };
  parts.domain.cpu = cpu;
}

function positiveInt(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw new ValidationError(`${what} must be a positive integer, got ${n}`);
}
