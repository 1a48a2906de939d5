import { ProtocolError } from "../../../common/errors.js";
import { scaledToBytes } from "../../libvirt-xml/units.js";
import { attr, child, children, text, toInt, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { ParsedCpuMemory } from "./parsed.js";

/** `<vcpu>`, `<memory>`, `<currentMemory>`, `<cpu>` of the domain `d` named `name`. */
export function parseCpuMemory(d: XmlNode, name: string): ParsedCpuMemory {
  const vcpuNode = child(d, "vcpu");
  const maxVcpus = vcpuNode ? toInt(text(vcpuNode), `domain ${name} <vcpu>`) : 1;
  const current = attr(vcpuNode, "current");
  const vcpus = current !== null ? toInt(current, `domain ${name} <vcpu current>`) : maxVcpus;

  const memNode = child(d, "memory");
  if (!memNode) throw new ProtocolError(`domain ${name} XML from libvirt has no <memory>`);
  const memoryBytes = scaledToBytes(memNode, "KiB", `domain ${name} <memory>`);
  const curNode = child(d, "currentMemory");
  const currentMemoryBytes = curNode ? scaledToBytes(curNode, "KiB", `domain ${name} <currentMemory>`) : memoryBytes;
  const cpuNode = child(d, "cpu");
  return {
    vcpus,
    maxVcpus,
    memoryBytes,
    currentMemoryBytes,
    cpu: cpuNode ? (attr(cpuNode, "mode") ?? "custom") : null,
    cpuDisabledFeatures: children(cpuNode, "feature")
      .filter((f) => attr(f, "policy") === "disable")
      .map((f) => attr(f, "name") ?? ""),
  };
}
