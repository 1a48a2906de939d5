import { poolTargets } from "../kinds/pool/targets.js";
import { formatPath, type PathSegment, type PolicyIssue } from "../policy-primitives/issues.js";
import { hasTemplate } from "../policy-primitives/template.js";
import { candidateHosts } from "./conflicts.js";
import type { Inventory } from "./inventory.js";
import type { LoadedPolicy } from "./loaded-policy.js";
import { matchTargets, type TargetHost } from "./targets.js";

interface PoolDoc {
  name?: unknown;
  type?: string;
  path?: unknown;
  source?: Record<string, unknown>;
  state?: string;
}

interface Occupied {
  key: string;
  label: string;
  pool: string;
  path: PathSegment[];
}

/** What each present, untemplated pool of a policy occupies (kinds/pool/targets.ts). */
function occupiedBy(p: LoadedPolicy): Occupied[] {
  const pools = ((p.document.spec.resources as Record<string, unknown>).pools ?? []) as PoolDoc[];
  const out: Occupied[] = [];
  pools.forEach((d, i) => {
    if (d.state === "absent" || typeof d.name !== "string" || hasTemplate(d.name)) return;
    const at: PathSegment[] = ["spec", "resources", "pools", i];
    for (const t of poolTargets({ type: d.type ?? "dir", path: d.path as string | undefined, source: d.source })) {
      if (t.key.includes("${")) continue;
      out.push({ ...t, pool: d.name, path: [...at, t.key.startsWith("path:") ? "path" : "source"] });
    }
  });
  return out;
}

/**
 * Two policies that can both target one host declare pools (of different names: the same name
 * is a conflict, conflicts.ts) that occupy the same path, device, volume group, export, iSCSI
 * target or Ceph pool: found at validation with file:line:col, naming the other declaration.
 * The later policy is rejected (within one policy, kinds/pool/semantics.ts checks this; an
 * existing libvirt pool on the host is checked by the agent in the plan stage).
 */
export function checkSetPoolTargets(
  policies: readonly LoadedPolicy[],
  inventory: Inventory,
  hosts: readonly TargetHost[] = [],
): PolicyIssue[] {
  const occupied = policies.map(occupiedBy);
  if (occupied.filter((o) => o.length > 0).length < 2) return [];
  const candidates = candidateHosts(policies, inventory, hosts);
  const shareHost = (a: number, b: number) =>
    candidates.some(
      (h) =>
        matchTargets(policies[a]!.targets, h, { unknownFacts: "match" }) &&
        matchTargets(policies[b]!.targets, h, { unknownFacts: "match" }),
    );
  const out: PolicyIssue[] = [];
  const reported = new Set<string>();
  for (let b = 1; b < policies.length; b++) {
    for (let a = 0; a < b; a++) {
      for (const tb of occupied[b]!) {
        const ta = occupied[a]!.find((t) => t.key === tb.key && t.pool !== tb.pool);
        if (!ta || reported.has(`${b}\0${formatPath(tb.path)}`) || !shareHost(a, b)) continue;
        reported.add(`${b}\0${formatPath(tb.path)}`);
        const there = policies[a]!.locate(ta.path);
        out.push({
          ...policies[b]!.locate(tb.path),
          path: formatPath(tb.path),
          message: `pool "${tb.pool}": its ${tb.label} is also pool "${ta.pool}"'s in policy "${policies[a]!.name}" (${there.file}:${there.line}:${there.col}) on hosts both policies target; two pools cannot share it`,
        });
      }
    }
  }
  return out;
}
