import { ProtocolError } from "../../../common/errors.js";
import { scaledToBytes } from "../../libvirt-xml/units.js";
import { attr, child, children, text, toInt, type XmlNode } from "../../libvirt-xml/xml-io.js";
import { canonicalCpuset } from "./cpuset.js";
import type { ParsedCpuMemory } from "./parsed.js";

/**
 * `<vcpu>`, `<memory>`, `<currentMemory>`, `<cpu>` (mode, model, features, topology, NUMA
 * cells), `<cputune>` pins, `<numatune><memory>` and `<memoryBacking>` (hugepages, locked) of
 * the domain `d` named `name`. Only what a spec can set; cpusets canonical; feature lists sorted.
 */
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
  const features = (policies: string[]) =>
    children(cpuNode, "feature")
      .filter((f) => policies.includes(attr(f, "policy") ?? "require"))
      .map((f) => attr(f, "name") ?? "")
      .sort();
  const topo = child(cpuNode, "topology");
  const topoInt = (a: string) => toInt(attr(topo, a) ?? "1", `domain ${name} <cpu><topology ${a}>`);
  const modelNode = child(cpuNode, "model");
  const cputune = child(d, "cputune");
  const numaMem = child(child(d, "numatune"), "memory");
  const backing = child(d, "memoryBacking");
  return {
    vcpus,
    maxVcpus,
    memoryBytes,
    currentMemoryBytes,
    cpu: cpuNode ? (attr(cpuNode, "mode") ?? "custom") : null,
    cpuDisabledFeatures: features(["disable", "forbid"]),
    cpuRequiredFeatures: features(["require", "force"]),
    cpuModel: modelNode ? (text(modelNode)?.trim() ?? null) || null : null,
    topology: topo ? { sockets: topoInt("sockets"), cores: topoInt("cores"), threads: topoInt("threads") } : null,
    vcpuPins: Object.fromEntries(
      children(cputune, "vcpupin").map((p) => [attr(p, "vcpu") ?? "", canonicalCpuset(attr(p, "cpuset") ?? "")]),
    ),
    emulatorPin: attrCpuset(child(cputune, "emulatorpin"), "cpuset"),
    numaCells: children(child(cpuNode, "numa"), "cell").map((c, i) => ({
      id: attr(c, "id") === null ? i : toInt(attr(c, "id"), `domain ${name} <numa><cell id>`),
      cpus: canonicalCpuset(attr(c, "cpus") ?? ""),
      memoryBytes: scaledToBytes(
        { "#text": attr(c, "memory"), "@_unit": attr(c, "unit") ?? "KiB" },
        "KiB",
        `domain ${name} <numa><cell memory>`,
      ),
    })),
    numaMemory: numaMem ? { mode: attr(numaMem, "mode") ?? "strict", nodeset: attrCpuset(numaMem, "nodeset") } : null,
    hugepages: parseHugepages(child(backing, "hugepages"), name),
    memoryLock: child(backing, "locked") !== undefined,
  };
}

function attrCpuset(node: XmlNode | undefined, name: string): string | null {
  const v = attr(node, name);
  return v === null ? null : canonicalCpuset(v);
}

/** `<hugepages>` → `2MiB` / `1GiB` / `NKiB` / `default` (no page size); null without it. */
function parseHugepages(node: XmlNode | undefined, name: string): string | null {
  if (node === undefined) return null;
  const pages = children(node, "page");
  if (pages.length === 0) return "default";
  const kib =
    scaledToBytes(
      { "#text": attr(pages[0], "size"), "@_unit": attr(pages[0], "unit") ?? "KiB" },
      "KiB",
      `domain ${name} <hugepages><page size>`,
    ) / 1024;
  if (kib === 2048) return "2MiB";
  if (kib === 1048576) return "1GiB";
  return `${kib}KiB`;
}
