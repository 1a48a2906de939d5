/**
 * Reads the few values we need from libvirt's capabilities XML (agent/facts turns them
 * into `LibvirtCapabilityFacts`). A deliberately small, token-level reader (no
 * dependency): it understands elements, attributes, text and the five predefined
 * entities, ignores comments/PIs, and is confined to this file.
 * Replace with fast-xml-parser once that dependency is added.
 */

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    switch (e) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "amp":
        return "&";
      case "quot":
        return '"';
      case "apos":
        return "'";
      default:
        return String.fromCodePoint(e.startsWith("#x") ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

/** Parses a well-formed XML document into a tree; throws on mismatched tags. */
export function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: "#document", attrs: {}, children: [], text: "" };
  const stack: XmlNode[] = [root];
  const tagRe =
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  const attrRe = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = tagRe.exec(xml)) !== null) {
    const top = stack[stack.length - 1]!;
    top.text += decodeEntities(xml.slice(last, m.index));
    last = tagRe.lastIndex;
    if (m[1] !== undefined) {
      top.text += m[1];
      continue;
    }
    const name = m[3];
    if (name === undefined) continue;
    if (m[2] === "/") {
      if (top.name !== name) throw new Error(`XML: </${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (m[4] ?? "").matchAll(attrRe)) attrs[a[1]!] = decodeEntities(a[2] ?? a[3] ?? "");
    const node: XmlNode = { name, attrs, children: [], text: "" };
    top.children.push(node);
    if (m[5] !== "/") stack.push(node);
  }
  if (stack.length !== 1) throw new Error(`XML: <${stack[stack.length - 1]!.name}> is not closed`);
  return root;
}

export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return node?.children.find((c) => c.name === name);
}

export function childrenNamed(node: XmlNode | undefined, name: string): XmlNode[] {
  return node ? node.children.filter((c) => c.name === name) : [];
}

export interface ParsedCapabilities {
  hostArch: string | null;
  hostCpuModel: string | null;
  numaCells: number | null;
  /** Highest `maxCpus` of the host architecture's machine types. */
  maxMachineCpus: number | null;
  machineTypes: string[];
  domainTypes: string[];
}

/** Reads host CPU model/arch, NUMA cell count, and the host architecture's guest machines and domain types. */
export function parseCapabilities(xml: string): ParsedCapabilities {
  const doc = parseXml(xml);
  const caps = child(doc, "capabilities");
  if (!caps) throw new Error("capabilities XML has no <capabilities> root");
  const host = child(caps, "host");
  const cpu = child(host, "cpu");
  const hostArch = child(cpu, "arch")?.text.trim() || null;
  const hostCpuModel = child(cpu, "model")?.text.trim() || null;
  const cells = child(child(host, "topology"), "cells");
  let numaCells: number | null = null;
  if (cells) {
    const num = Number(cells.attrs.num);
    numaCells = Number.isInteger(num) ? num : childrenNamed(cells, "cell").length;
  }
  const machineTypes: string[] = [];
  const domainTypes: string[] = [];
  let maxMachineCpus: number | null = null;
  for (const guest of childrenNamed(caps, "guest")) {
    for (const arch of childrenNamed(guest, "arch")) {
      if (hostArch !== null && arch.attrs.name !== hostArch) continue;
      const machines = [...childrenNamed(arch, "machine")];
      for (const d of childrenNamed(arch, "domain")) {
        const t = d.attrs.type;
        if (t && !domainTypes.includes(t)) domainTypes.push(t);
        machines.push(...childrenNamed(d, "machine"));
      }
      for (const mach of machines) {
        const name = mach.text.trim();
        if (name && !machineTypes.includes(name)) machineTypes.push(name);
        const max = Number(mach.attrs.maxCpus);
        if (Number.isInteger(max) && (maxMachineCpus === null || max > maxMachineCpus)) maxMachineCpus = max;
      }
    }
  }
  return { hostArch, hostCpuModel, numaCells, maxMachineCpus, machineTypes, domainTypes };
}
