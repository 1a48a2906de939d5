import type { Claim } from "../kinds/policy-kind.js";
import { POLICY_KINDS } from "../kinds/policy-kinds.js";
import type { ResolvedPolicy, ResourcesSpec, SourceLocation } from "../kinds/resolved-policy.js";
import { IssueList, PolicyValidationError, type PathSegment } from "../policy-primitives/issues.js";
import type { LoadedPolicy } from "./loaded-policy.js";
import type { PolicyDocument, ResourcesDocument, VarValue } from "./schema.js";
import { checkPolicySemantics } from "./semantics.js";
import { expandTemplate, type TemplateContext } from "../policy-primitives/template.js";

/** The host a policy is resolved for. `vars` are the inventory's merged group + host vars. */
export interface HostContext {
  name: string;
  labels?: Readonly<Record<string, string>>;
  vars?: Readonly<Record<string, VarValue>>;
}

/**
 * A resolved policy plus where each resource was declared, keyed by identity
 * (`identityKey`: `domain/web-01`, `volume/pool/name`, `sysctl/net.ipv4.ip_forward`).
 */
export interface LocatedResolvedPolicy extends ResolvedPolicy {
  locations: Record<string, SourceLocation>;
}

/**
 * Resolves `policy` for one host: expands templates (host vars over group vars over policy
 * vars), re-checks the expanded values, applies defaults, converts sizes to bytes, and pins
 * every MAC (derived with `deriveMac` when not set). Throws PolicyValidationError listing
 * every problem (unknown variables, invalid expanded values) with file:line:col.
 *
 * Defaults: mode enforce, priority 0; each kind's in its kinds/<kind>/resolve.ts; lists
 * empty; optional strings null.
 */
export function resolvePolicy(policy: LoadedPolicy, host: HostContext): LocatedResolvedPolicy {
  const issues = new IssueList(policy.file, policy.locate);
  const ctx: TemplateContext = {
    host: { name: host.name, labels: { ...(host.labels ?? {}) } },
    vars: { ...policy.vars, ...(host.vars ?? {}) },
  };
  const resources = expandDeep(policy.document.spec.resources, ["spec", "resources"], ctx, issues) as ResourcesDocument;
  if (issues.empty) {
    const expanded: PolicyDocument = { ...policy.document, spec: { ...policy.document.spec, resources } };
    checkPolicySemantics(expanded, issues, { deferTemplates: false });
  }
  if (!issues.empty)
    throw new PolicyValidationError(
      issues.items.map((i) => ({ ...i, message: `for host ${host.name}: ${i.message}` })),
    );
  const resolved = build(policy, resources);
  checkMacsUnique(resolved, policy, host.name);
  return resolved;
}

/** Derived MACs could (1 in 16M) collide with each other or a pinned one: refuse rather than guess. */
function checkMacsUnique(p: LocatedResolvedPolicy, policy: LoadedPolicy, hostName: string): void {
  const seen = new Map<string, string>();
  const issues = new IssueList(policy.file, policy.locate);
  p.resources.domains.forEach((d, i) =>
    d.interfaces.forEach((nic, j) => {
      const where = `${d.name} interface ${j}`;
      const first = seen.get(nic.mac);
      if (first)
        issues.add(
          ["spec", "resources", "domains", i, "interfaces", j],
          `for host ${hostName}: MAC ${nic.mac} of ${where} is also used by ${first}; pin a different mac`,
        );
      else seen.set(nic.mac, where);
    }),
  );
  if (!issues.empty) throw new PolicyValidationError(issues.items);
}

function expandDeep(v: unknown, path: PathSegment[], ctx: TemplateContext, issues: IssueList): unknown {
  if (typeof v === "string") {
    try {
      return expandTemplate(v, ctx);
    } catch (err) {
      issues.add(path, (err as Error).message);
      return v;
    }
  }
  if (Array.isArray(v)) return v.map((x, i) => expandDeep(x, [...path, i], ctx, issues));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandDeep(x, [...path, k], ctx, issues)]));
  }
  return v;
}

/** Each kind's declarations resolved (kinds/<kind>/resolve.ts), and where each identity was declared. */
function build(policy: LoadedPolicy, res: ResourcesDocument): LocatedResolvedPolicy {
  const locations: Record<string, SourceLocation> = {};
  const resources: Record<string, unknown> = {};
  const located = (claims: Claim[], at: PathSegment[]) => {
    for (const c of claims) locations[c.identity] = policy.locate([...at, ...c.path]);
  };
  for (const kind of POLICY_KINDS) {
    const at: PathSegment[] = ["spec", "resources", kind.key];
    const doc = (res as Record<string, unknown>)[kind.key];
    if (kind.many) {
      resources[kind.key] = ((doc ?? []) as unknown[]).map((d, i) => {
        const spec = kind.resolve(d as never);
        located(kind.claims(spec as never), [...at, i]);
        return spec;
      });
    } else {
      const spec = doc === undefined ? null : kind.resolve(doc as never);
      if (spec !== null) located(kind.claims(spec as never), at);
      resources[kind.key] = spec;
    }
  }
  return {
    name: policy.name,
    description: policy.description,
    mode: policy.mode,
    priority: policy.priority,
    source: policy.source,
    resources: resources as ResourcesSpec,
    locations,
  };
}
