import type { Route } from "./route.js";

/** A route and the parameters its pattern took from a path. */
export interface Matched<D> {
  route: Route<D>;
  params: Record<string, string>;
}

interface Compiled<D> {
  route: Route<D>;
  segments: readonly string[];
}

/** A path's segments: "/hosts/a%2Fb/" → ["hosts", "a%2Fb"] (still encoded). */
function split(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

/**
 * Matches request paths against route patterns: literal segments and `:name` segments (one
 * whole, non-empty segment, percent-decoded). Routes are tried in the order given; the first
 * that matches method and path wins. Refuses at construction a pattern that does not start
 * with "/", and two routes with the same method and pattern (a wiring mistake).
 */
export class Router<D> {
  private readonly compiled: Compiled<D>[] = [];

  constructor(routes: readonly Route<D>[]) {
    const seen = new Set<string>();
    for (const route of routes) {
      if (!route.path.startsWith("/")) throw new Error(`route pattern "${route.path}" must start with "/"`);
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) throw new Error(`two routes for ${key}`);
      seen.add(key);
      this.compiled.push({ route, segments: split(route.path) });
    }
  }

  /**
   * The route for `method` and `path`; `{ allowed }` lists the methods of routes whose pattern
   * matches when none has this method (405), and undefined when no pattern matches (404).
   * A parameter that does not decode (bad percent escape) does not match.
   */
  match(method: string, path: string): Matched<D> | { allowed: string[] } | undefined {
    const parts = split(path);
    const allowed: string[] = [];
    for (const c of this.compiled) {
      const params = matchSegments(c.segments, parts);
      if (!params) continue;
      if (c.route.method === method) return { route: c.route, params };
      allowed.push(c.route.method);
    }
    return allowed.length > 0 ? { allowed } : undefined;
  }
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = parts[i]!;
    if (p.startsWith(":")) {
      try {
        params[p.slice(1)] = decodeURIComponent(s);
      } catch {
        return undefined;
      }
    } else if (p !== s) return undefined;
  }
  return params;
}
