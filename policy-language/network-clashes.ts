import { clashOf, footprintOf, type Footprint } from "../kinds/network/footprint.js";
import type { PathSegment, PolicyIssue } from "../policy-primitives/issues.js";
import { formatPath } from "../policy-primitives/issues.js";
import { hasTemplate } from "../policy-primitives/template.js";
import { candidateHosts } from "./conflicts.js";
import type { Inventory } from "./inventory.js";
import type { LoadedPolicy } from "./loaded-policy.js";
import { matchTargets, type TargetHost } from "./targets.js";

interface NetworkDoc {
  name?: unknown;
  mode?: string;
  state?: string;
  bridge?: unknown;
  ipv4?: { address?: unknown; prefix?: unknown };
  ipv6?: { address?: unknown; prefix?: unknown };
}

interface Declared {
  name: string;
  path: PathSegment[];
  fp: Footprint;
}

const concrete = (v: unknown): string | undefined => (typeof v === "string" && !hasTemplate(v) ? v : undefined);

function networksOf(p: LoadedPolicy): Declared[] {
  const res = p.document.spec.resources as Record<string, unknown>;
  const out: Declared[] = [];
  ((res.networks ?? []) as NetworkDoc[]).forEach((n, i) => {
    const name = concrete(n.name);
    if (name === undefined || n.state === "absent") return;
    const fp = footprintOf({
      mode: n.mode,
      bridge: concrete(n.bridge),
      ipv4: n.ipv4 && { address: concrete(n.ipv4.address), prefix: n.ipv4.prefix },
      ipv6: n.ipv6 && { address: concrete(n.ipv6.address), prefix: n.ipv6.prefix },
    });
    out.push({ name, path: ["spec", "resources", "networks", i], fp });
  });
  return out;
}

/**
 * Networks of different names in two policies that can target one host (a host of the
 * inventory, an enrolled host, one named in a target pattern, or one that enrols later) and
 * that take the same bridge or overlapping subnets (kinds/network/footprint.ts): libvirt
 * would refuse to start the second on such a host. Found at validation with file:line:col
 * of both; the later policy (in load order) is rejected. Values still holding a template
 * are compared per host by the agent (kinds/network/clash-check.ts); a network of the same
 * name in both is a resource conflict (conflicts.ts), not a clash.
 */
export function checkSetNetworkClashes(
  policies: readonly LoadedPolicy[],
  inventory: Inventory,
  hosts: readonly TargetHost[] = [],
): PolicyIssue[] {
  const nets = policies.map(networksOf);
  if (nets.filter((n) => n.length > 0).length < 2) return [];
  const candidates = candidateHosts(policies, inventory, hosts);
  const shareHost = (a: number, b: number) =>
    candidates.some(
      (h) =>
        matchTargets(policies[a]!.targets, h, { unknownFacts: "match" }) &&
        matchTargets(policies[b]!.targets, h, { unknownFacts: "match" }),
    );
  const out: PolicyIssue[] = [];
  for (let b = 1; b < policies.length; b++) {
    for (let a = 0; a < b; a++) {
      if (nets[a]!.length === 0 || nets[b]!.length === 0 || !shareHost(a, b)) continue;
      for (const mine of nets[b]!) {
        const theirs = nets[a]!.find((x) => x.name !== mine.name && clashOf(mine.fp, x.fp) !== null);
        if (!theirs) continue;
        const what = clashOf(mine.fp, theirs.fp)!;
        const field = what.startsWith("bridge") ? "bridge" : what.startsWith("IPv4") ? "ipv4" : "ipv6";
        const path = [...mine.path, field];
        const there = policies[a]!.locate(theirs.path);
        out.push({
          ...policies[b]!.locate(path),
          path: formatPath(path),
          message: `network "${mine.name}" takes the ${what} that network "${theirs.name}" of policy "${policies[a]!.name}" (${there.file}:${there.line}:${there.col}) takes on hosts both policies target: give each network its own bridge and subnet`,
        });
      }
    }
  }
  return out;
}
