import type { LoadedPolicy } from "./loaded-policy.js";
import { resolvePolicy, type HostContext, type LocatedResolvedPolicy } from "./resolve.js";
import { lookupRef, templateRefs, TemplateSyntaxError } from "../policy-primitives/template.js";

/** Results kept per policy revision; past it the policy's entries are dropped and refilled. */
export const MAX_ENTRIES_PER_POLICY = 1_024;

interface PolicyEntries {
  /** Every reference the policy's resources use (sorted), or null when they cannot be parsed (no caching). */
  refs: readonly string[] | null;
  byContext: Map<string, LocatedResolvedPolicy>;
}

/**
 * Memoises `resolvePolicy` across hosts. A policy's resolution depends on the host only
 * through the values of the template references its resources use (`${host.name}`,
 * `${host.labels.x}`, `${vars.y}`), so hosts that give those references equal values share
 * one result: a policy without templates resolves once per revision for the whole fleet.
 *
 * Contract: returns exactly what `resolvePolicy(policy, host)` returns or throws; a returned
 * object may be shared with other hosts and must not be mutated. Failures are not kept
 * (their messages name the host). Entries live as long as the LoadedPolicy object does.
 */
export class ResolutionCache {
  private readonly entries = new WeakMap<LoadedPolicy, PolicyEntries>();

  resolve(policy: LoadedPolicy, host: HostContext): LocatedResolvedPolicy {
    const entries = this.entriesOf(policy);
    if (entries.refs === null) return resolvePolicy(policy, host);
    const key = contextKey(entries.refs, policy, host);
    const hit = entries.byContext.get(key);
    if (hit) return hit;
    const resolved = resolvePolicy(policy, host);
    if (entries.byContext.size >= MAX_ENTRIES_PER_POLICY) entries.byContext.clear();
    entries.byContext.set(key, resolved);
    return resolved;
  }

  private entriesOf(policy: LoadedPolicy): PolicyEntries {
    let e = this.entries.get(policy);
    if (!e) {
      e = { refs: referencesOf(policy.document.spec.resources), byContext: new Map() };
      this.entries.set(policy, e);
    }
    return e;
  }
}

/** The values `refs` take for `host` (as templates would expand them), as one string. */
function contextKey(refs: readonly string[], policy: LoadedPolicy, host: HostContext): string {
  if (refs.length === 0) return "";
  const ctx = {
    host: { name: host.name, labels: { ...(host.labels ?? {}) } },
    vars: { ...policy.vars, ...(host.vars ?? {}) },
  };
  return JSON.stringify(refs.map((r) => lookupRef(r, ctx) ?? null));
}

/** Every template reference in the string values under `value`; null if any string has bad template syntax. */
function referencesOf(value: unknown): string[] | null {
  const refs = new Set<string>();
  const walk = (v: unknown): boolean => {
    if (typeof v === "string") {
      try {
        for (const r of templateRefs(v)) refs.add(r);
        return true;
      } catch (err) {
        if (err instanceof TemplateSyntaxError) return false;
        throw err;
      }
    }
    if (Array.isArray(v)) return v.every(walk);
    if (v && typeof v === "object") return Object.values(v).every(walk);
    return true;
  };
  return walk(value) ? [...refs].sort() : null;
}
