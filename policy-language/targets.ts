import { ALL_GROUP } from "./inventory.js";
import { HostPattern } from "./patterns.js";
import type { TargetsDocument } from "./schema.js";

/** What targeting knows about a host. `facts` undefined = not known (see `unknownFacts`). */
export interface TargetHost {
  name: string;
  labels?: Readonly<Record<string, string>>;
  facts?: unknown;
  groups?: readonly string[];
}

export interface MatchOptions {
  /** How a `facts` entry evaluates for a host whose facts are undefined: "nomatch" (default) or "match" (may match: for overlap analysis). */
  unknownFacts?: "match" | "nomatch";
}

/**
 * Whether a policy's `targets` select `host`. Absent targets select every host. The entries
 * are OR-ed: in any listed group (`all` = every host), OR the name matches any host pattern,
 * OR every listed label is equal, OR every listed fact (dotted path) equals its value. A fact
 * that is a list matches when it contains the value; scalars compare as strings when their
 * types differ (`"true"` matches `true`). Invalid host patterns never match.
 */
export function matchTargets(
  targets: TargetsDocument | null | undefined,
  host: TargetHost,
  options: MatchOptions = {},
): boolean {
  if (!targets) return true;
  const groups = host.groups ?? [ALL_GROUP];
  if (targets.groups?.some((g) => g === ALL_GROUP || groups.includes(g))) return true;
  if (targets.hosts?.some((p) => patternMatches(p, host.name))) return true;
  if (
    targets.labels &&
    Object.entries(targets.labels).every(
      ([k, v]) => host.labels !== undefined && Object.hasOwn(host.labels, k) && host.labels[k] === v,
    )
  )
    return true;
  if (targets.facts) {
    if (host.facts === undefined) return options.unknownFacts === "match";
    if (Object.entries(targets.facts).every(([path, want]) => factEquals(factAt(host.facts, path), want))) return true;
  }
  return false;
}

const patternCache = new Map<string, HostPattern | null>();

function patternMatches(pattern: string, name: string): boolean {
  let p = patternCache.get(pattern);
  if (p === undefined) {
    try {
      p = HostPattern.parse(pattern);
    } catch {
      p = null;
    }
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(pattern, p);
  }
  return p !== null && p.matches(name);
}

/** The value at a dotted path (`cpu.virtualization`) in a facts object; undefined when absent. */
export function factAt(facts: unknown, path: string): unknown {
  let cur: unknown = facts;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function factEquals(actual: unknown, want: string | number | boolean): boolean {
  if (Array.isArray(actual)) return actual.some((a) => factEquals(a, want));
  if (actual === want) return true;
  if (actual === null || actual === undefined || typeof actual === "object") return false;
  return String(actual) === String(want);
}
