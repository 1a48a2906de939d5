/**
 * What the domain kind's areas (metadata, firmware, cpu-memory, disks, nics, devices; one
 * folder each) share with the orchestrating files xml-build.ts, xml-parse.ts and xml-diff.ts.
 *
 * Contract: an area's `build…` adds its elements to the nodes it is given and never removes
 * another area's; its `parse…` reads only its own elements; its `diff…` reports only its own
 * fields through `add`, with the disruption the change has on a RUNNING guest (the
 * orchestrator turns every change into `live` when the guest is not running, except
 * `recreate`).
 */
import type { Disruption } from "../../common/changes.js";
import type { XmlNode } from "../libvirt-xml/xml-io.js";

/** The nodes of the domain document an area's builder adds to. */
export interface DomainXmlParts {
  /** `<domain>`: top-level elements (memory, vcpu, cpu, cputune, memoryBacking, …). */
  domain: XmlNode;
  /** `<os>`: type, loader, nvram, boot, kernel, …. */
  os: XmlNode;
  /** `<features>`. */
  features: XmlNode;
  /** `<devices>`: one key per element name, each an array or a node. */
  devices: XmlNode;
}

/** Reports one changed field; `runningDisruption` is its effect on a running guest. */
export type AddChange = (field: string, from: unknown, to: unknown, runningDisruption: Disruption) => void;

/** Appends `node` to `parent[key]` (making it an array). */
export function appendNode(parent: XmlNode, key: string, node: XmlNode): void {
  const have = parent[key];
  if (have === undefined) parent[key] = [node];
  else if (Array.isArray(have)) have.push(node);
  else parent[key] = [have, node];
}
