import { attr, child, children, toInt, type XmlNode } from "../../libvirt-xml/xml-io.js";
import type { ParsedInterface, ParsedNicRate, ParsedNics } from "./parsed.js";

/** `<interface>` elements of `<devices>`, in document order; only what an InterfaceSpec can set. */
export function parseNics(devices: XmlNode | undefined): ParsedNics {
  return { interfaces: children(devices, "interface").map(parseInterface) };
}

/** One `<interface>` element (also used on the live XML by live.ts). */
export function parseInterface(n: XmlNode): ParsedInterface {
  const type = attr(n, "type") ?? "";
  const source = child(n, "source");
  const mac = (attr(child(n, "mac"), "address") ?? "").toLowerCase();
  const what = (x: string) => `interface ${mac} ${x}`;
  const vlan = child(n, "vlan");
  const bandwidth = child(n, "bandwidth");
  const rate = (el: XmlNode | undefined, dir: string): ParsedNicRate | null => {
    if (el === undefined || attr(el, "average") === null) return null;
    const num = (a: string) => {
      const v = attr(el, a);
      return v === null ? null : toInt(v, what(`<bandwidth><${dir} ${a}>`));
    };
    return { average: num("average")!, peak: num("peak"), burst: num("burst") };
  };
  const boot = attr(child(n, "boot"), "order");
  const queues = attr(child(n, "driver"), "queues");
  return {
    mac,
    type,
    network: type === "network" ? attr(source, "network") : null,
    portgroup: type === "network" ? attr(source, "portgroup") : null,
    bridge: type === "bridge" ? attr(source, "bridge") : null,
    direct: type === "direct" ? attr(source, "dev") : null,
    macvtapMode: type === "direct" ? (attr(source, "mode") ?? "vepa") : null,
    model: attr(child(n, "model"), "type"),
    vlanTags: children(vlan, "tag").map((t) => toInt(attr(t, "id"), what("<vlan><tag id>"))),
    vlanTrunk: attr(vlan, "trunk") === "yes",
    inbound: rate(child(bandwidth, "inbound"), "inbound"),
    outbound: rate(child(bandwidth, "outbound"), "outbound"),
    link: attr(child(n, "link"), "state"),
    bootIndex: boot === null ? null : toInt(boot, what("<boot order>")),
    queues: queues === null ? null : toInt(queues, what("<driver queues>")),
  };
}
