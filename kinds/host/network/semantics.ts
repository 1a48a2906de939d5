import type { PathSegment } from "../../../policy-primitives/issues.js";
import type { ValueChecker } from "../../../policy-primitives/value-checker.js";
import { hostNetworkProblems } from "./rules.js";
import type { HostNetworkDocument } from "./spec.js";

/**
 * The host networking fields beyond the schema (path = the host block's path): interface
 * names after templating, then the relational rules of rules.ts.
 */
export function checkHostNetworkDocument(h: HostNetworkDocument, path: PathSegment[], c: ValueChecker): void {
  const name = (v: unknown, p: PathSegment[]) => c.format(v, [...path, ...p], "bridgeName");
  const members = (list: (string | undefined)[] | undefined, p: PathSegment[]) =>
    (list ?? []).map((m, j) => name(m, [...p, "interfaces", j]));
  const problems = hostNetworkProblems({
    bridges: (h.bridges ?? []).map((b, i) => ({
      name: name(b.name, ["bridges", i, "name"]),
      members: members(b.interfaces, ["bridges", i]),
    })),
    bonds: (h.bonds ?? []).map((b, i) => ({
      name: name(b.name, ["bonds", i, "name"]),
      members: members(b.interfaces, ["bonds", i]),
    })),
    vlans: (h.vlans ?? []).map((v, i) => ({
      name: name(v.name, ["vlans", i, "name"]),
      link: name(v.link, ["vlans", i, "link"]),
    })),
  });
  for (const p of problems) c.issues.add([...path, ...p.path], p.message);
}
