import type { PathSegment } from "../../../policy-primitives/issues.js";

/** One declared interface as the relational rules see it (names undefined when not concrete yet). */
interface Declared {
  name?: string;
  members?: (string | undefined)[];
  link?: string;
}

export interface HostNetworkNames {
  bridges: readonly Declared[];
  bonds: readonly Declared[];
  vlans: readonly Declared[];
}

export interface NetworkProblem {
  /** Relative to the host block: `["bridges", 0, "interfaces", 1]`. */
  path: PathSegment[];
  message: string;
}

/** Names the kernel gives a meaning of its own (/proc/sys/net/ipv4/conf/{all,default}, loopback). */
const RESERVED = new Set(["lo", "all", "default"]);

/**
 * The rules between the declared interfaces, shared by the loader (semantics.ts, on the
 * document) and the agent (check.ts, on the resolved spec):
 * - one name space: a name is declared once across bridges, bonds and VLANs;
 * - `lo`, `all` and `default` are not interface names one may declare;
 * - an interface is a member of at most one bridge or bond, never of itself; a bridge is not
 *   a member of anything here (nesting bridges is not supported by the kernel);
 * - a VLAN's link is not the VLAN itself.
 * Entries whose names are not concrete (templated, checked per host) are skipped.
 */
export function hostNetworkProblems(d: HostNetworkNames): NetworkProblem[] {
  const out: NetworkProblem[] = [];
  const declared = new Map<string, string>();
  const bridges = new Set(d.bridges.map((b) => b.name).filter((n): n is string => n !== undefined));
  const lists = [
    ["bridges", d.bridges],
    ["bonds", d.bonds],
    ["vlans", d.vlans],
  ] as const;
  for (const [list, items] of lists) {
    items.forEach((it, i) => {
      if (it.name === undefined) return;
      const at = `${list}[${i}]`;
      if (RESERVED.has(it.name))
        out.push({ path: [list, i, "name"], message: `"${it.name}" is reserved by the kernel; choose another name` });
      const first = declared.get(it.name);
      if (first !== undefined)
        out.push({
          path: [list, i, "name"],
          message: `interface "${it.name}" is declared twice (first at ${first}); bridges, bonds and VLANs share one name space`,
        });
      else declared.set(it.name, at);
    });
  }
  const memberOf = new Map<string, string>();
  for (const [list, items] of [lists[0], lists[1]] as const) {
    items.forEach((it, i) => {
      (it.members ?? []).forEach((m, j) => {
        if (m === undefined) return;
        const path: PathSegment[] = [list, i, "interfaces", j];
        if (m === it.name) out.push({ path, message: `${it.name} cannot be a member of itself` });
        else if (bridges.has(m))
          out.push({
            path,
            message: `${m} is a bridge declared here; a bridge cannot be a member of a bridge or bond`,
          });
        const owner = memberOf.get(m);
        if (owner !== undefined)
          out.push({ path, message: `${m} is already a member of ${owner}; an interface has at most one master` });
        else if (it.name !== undefined) memberOf.set(m, it.name);
      });
    });
  }
  d.vlans.forEach((v, i) => {
    if (v.name !== undefined && v.link === v.name)
      out.push({ path: ["vlans", i, "link"], message: `VLAN ${v.name} cannot be its own link` });
  });
  return out;
}
