import { hasTemplate } from "../policy-primitives/template.js";
import { formatPath, type PathSegment, type PolicyIssue } from "../policy-primitives/issues.js";
import { candidateHosts } from "./conflicts.js";
import type { Inventory } from "./inventory.js";
import type { LoadedPolicy } from "./loaded-policy.js";
import { matchTargets, type TargetHost } from "./targets.js";

/** What one policy document declares absent, by kind (`volume` names are `pool/name`), with where. */
type Absent = Record<"network" | "pool" | "volume", Map<string, PathSegment[]>>;

/** One reference a present object makes to another (the names as written, untemplated only). */
interface Reference {
  kind: "network" | "pool" | "volume";
  name: string;
  path: PathSegment[];
}

interface DomainDoc {
  name?: unknown;
  state?: string;
  disks?: { volume?: unknown }[];
  cdroms?: unknown[];
  interfaces?: { network?: unknown }[];
}
interface VolumeDoc {
  name?: unknown;
  pool?: unknown;
  state?: string;
}
interface NamedDoc {
  name?: unknown;
  state?: string;
}

const concrete = (v: unknown): string | undefined => (typeof v === "string" && !hasTemplate(v) ? v : undefined);

function absentOf(p: LoadedPolicy): Absent {
  const res = p.document.spec.resources as Record<string, unknown>;
  const out: Absent = { network: new Map(), pool: new Map(), volume: new Map() };
  const at = (key: string, i: number): PathSegment[] => ["spec", "resources", key, i, "name"];
  ((res.networks ?? []) as NamedDoc[]).forEach((n, i) => {
    const name = concrete(n.name);
    if (name !== undefined && n.state === "absent") out.network.set(name, at("networks", i));
  });
  ((res.pools ?? []) as NamedDoc[]).forEach((n, i) => {
    const name = concrete(n.name);
    if (name !== undefined && n.state === "absent") out.pool.set(name, at("pools", i));
  });
  ((res.volumes ?? []) as VolumeDoc[]).forEach((v, i) => {
    const name = concrete(v.name);
    const pool = concrete(v.pool);
    if (name !== undefined && pool !== undefined && v.state === "absent")
      out.volume.set(`${pool}/${name}`, at("volumes", i));
  });
  return out;
}

function referencesOf(p: LoadedPolicy): Reference[] {
  const res = p.document.spec.resources as Record<string, unknown>;
  const out: Reference[] = [];
  ((res.domains ?? []) as DomainDoc[]).forEach((d, i) => {
    if (d.state === "absent") return;
    const at: PathSegment[] = ["spec", "resources", "domains", i];
    (d.interfaces ?? []).forEach((nic, j) => {
      const name = concrete(nic.network);
      if (name !== undefined) out.push({ kind: "network", name, path: [...at, "interfaces", j, "network"] });
    });
    const volume = (ref: unknown, path: PathSegment[]) => {
      const s = concrete(ref);
      if (s === undefined || s.startsWith("/") || !s.includes("/")) return;
      out.push({ kind: "volume", name: s, path }, { kind: "pool", name: s.slice(0, s.indexOf("/")), path });
    };
    (d.disks ?? []).forEach((disk, j) => volume(disk.volume, [...at, "disks", j, "volume"]));
    (d.cdroms ?? []).forEach((cd, j) => volume(cd, [...at, "cdroms", j]));
  });
  ((res.volumes ?? []) as VolumeDoc[]).forEach((v, i) => {
    const pool = concrete(v.pool);
    if (pool !== undefined && v.state !== "absent")
      out.push({ kind: "pool", name: pool, path: ["spec", "resources", "volumes", i, "pool"] });
  });
  return out;
}

/**
 * Dangling references inside the policy set, found at validation with file:line:col: a
 * present guest or volume of one policy that refers to a network, pool or volume another
 * policy declares `state: absent` for a host both can target (within one policy, each
 * kind's semantics.ts already checks this). The referring policy is rejected: on such a
 * host the guest would be defined and then fail to start. References to objects no policy
 * declares may be the host's own (an existing network or pool): the agent checks those in
 * the plan stage and before applying (kinds/domain/references.ts).
 */
export function checkSetReferences(
  policies: readonly LoadedPolicy[],
  inventory: Inventory,
  hosts: readonly TargetHost[] = [],
): PolicyIssue[] {
  const absent = policies.map(absentOf);
  const refs = policies.map(referencesOf);
  if (absent.every((a) => a.network.size + a.pool.size + a.volume.size === 0)) return [];
  const candidates = candidateHosts(policies, inventory, hosts);
  const shareHost = (a: number, b: number) =>
    candidates.some(
      (h) =>
        matchTargets(policies[a]!.targets, h, { unknownFacts: "match" }) &&
        matchTargets(policies[b]!.targets, h, { unknownFacts: "match" }),
    );
  const out: PolicyIssue[] = [];
  const seen = new Set<string>();
  policies.forEach((p, a) => {
    for (const ref of refs[a]!) {
      policies.forEach((q, b) => {
        if (a === b) return;
        const decl = absent[b]![ref.kind].get(ref.name);
        if (!decl || !shareHost(a, b)) return;
        const key = `${a}\0${formatPath(ref.path)}\0${ref.kind}`;
        if (seen.has(key)) return;
        seen.add(key);
        const there = q.locate(decl);
        out.push({
          ...p.locate(ref.path),
          path: formatPath(ref.path),
          message: `${ref.kind} "${ref.name}" is declared absent by policy "${q.name}" (${there.file}:${there.line}:${there.col}) on hosts both policies target; it would be removed while this policy uses it`,
        });
      });
    }
  });
  return out;
}
