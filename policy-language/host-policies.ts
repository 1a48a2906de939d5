import type { ResolvedPolicy } from "../kinds/resolved-policy.js";
import { resolveConflicts, type ResourceConflict } from "./conflicts.js";
import { describeHost, type Inventory } from "./inventory.js";
import { PolicyValidationError, type PolicyIssue } from "../policy-primitives/issues.js";
import type { LoadedPolicy } from "./loaded-policy.js";
import type { ResolutionCache } from "./resolution-cache.js";
import { resolvePolicy, type LocatedResolvedPolicy } from "./resolve.js";
import { matchTargets, type TargetHost } from "./targets.js";

/** Everything one host must converge to. */
export interface HostPolicies {
  /** Targeting policies, resolved, with contested resources removed (see resolveConflicts). */
  policies: ResolvedPolicy[];
  conflicts: ResourceConflict[];
  /** Policies that failed to resolve for this host (e.g. a label it lacks); they are left out. */
  errors: PolicyIssue[];
}

/**
 * Selects the policies that target `host` (groups from the inventory unless given; labels
 * = inventory labels overridden by `host.labels`), resolves each with the host's merged
 * vars, and settles resource conflicts by priority. With `cache`, resolutions are shared
 * with other hosts (see ResolutionCache). `host.facts` is read only when a policy targets
 * by facts (it may be a lazy getter).
 */
export function resolveHostPolicies(
  policies: readonly LoadedPolicy[],
  inventory: Inventory,
  host: TargetHost,
  cache?: ResolutionCache,
): HostPolicies {
  const info = describeHost(inventory, host.name, { ...(host.labels ?? {}) });
  const target: TargetHost = {
    name: host.name,
    groups: host.groups ?? info.groups,
    labels: info.labels,
    get facts() {
      return host.facts;
    },
  };
  const resolved: LocatedResolvedPolicy[] = [];
  const errors: PolicyIssue[] = [];
  for (const p of policies) {
    if (!matchTargets(p.targets, target)) continue;
    try {
      const context = { name: host.name, labels: info.labels, vars: info.vars };
      resolved.push(cache ? cache.resolve(p, context) : resolvePolicy(p, context));
    } catch (err) {
      if (!(err instanceof PolicyValidationError)) throw err;
      errors.push(...err.issues);
    }
  }
  const { policies: settled, conflicts } = resolveConflicts(resolved, host.name);
  return { policies: settled, conflicts, errors };
}
