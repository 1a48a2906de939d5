import { shownValue } from "../common/redact.js";
import { parseSize } from "../common/units.js";
import { formatPath, type IssueList, type PathSegment } from "./issues.js";
import { allowsLineBreaks, controlCharProblem, matchesPattern, PATTERN_HELP, type PatternName } from "./names.js";
import { hasTemplate } from "./template.js";

/**
 * The value checks every kind's semantic rules are written with (kinds/<kind>/semantics.ts):
 * formats, sizes, MACs, duplicates, each reported at its path. With `defer`, strings holding
 * a template are skipped (their values are checked per host, after templating).
 *
 * Contract: a check returns the concrete, valid value or undefined (absent, templated while
 * deferring, or invalid — then an issue was added). A value is only quoted back redacted
 * (common/redact.ts) and clipped to 100 characters.
 */
export class ValueChecker {
  constructor(
    readonly issues: IssueList,
    readonly defer: boolean,
  ) {}

  /** The string value, or undefined when absent or (while deferring) templated. */
  concrete(v: unknown): string | undefined {
    if (typeof v !== "string") return undefined;
    return this.defer && hasTemplate(v) ? undefined : v;
  }

  format(v: unknown, path: PathSegment[], pattern: PatternName): string | undefined {
    const s = this.concrete(v);
    if (s === undefined) return undefined;
    if (!matchesPattern(pattern, s)) {
      const shown = JSON.stringify(shownValue(formatPath(path), s));
      this.issues.add(
        path,
        `invalid value ${shown.length > 100 ? `${shown.slice(0, 100)}…` : shown}: ${PATTERN_HELP[pattern]}`,
      );
      return undefined;
    }
    return s;
  }

  size(v: unknown, path: PathSegment[]): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v === "string" && this.concrete(v) === undefined) return undefined;
    try {
      return parseSize(v as string | number);
    } catch (err) {
      this.issues.add(path, (err as Error).message);
      return undefined;
    }
  }

  /** A unicast MAC, lower-case. */
  mac(v: unknown, path: PathSegment[]): string | undefined {
    const mac = this.format(v, path, "mac");
    if (mac === undefined) return undefined;
    if (Number.parseInt(mac.slice(0, 2), 16) & 1) {
      this.issues.add(path, `${mac} is a multicast address; a NIC needs a unicast MAC (even first byte)`);
      return undefined;
    }
    return mac.toLowerCase();
  }

  /** Records `key` in `seen`, or reports `message` at `path` when it is there already. */
  unique<T>(seen: Map<string, T>, key: string, path: PathSegment[], message: string, value: T): void {
    if (seen.has(key)) this.issues.add(path, message);
    else seen.set(key, value);
  }

  /**
   * Records declaration `index` of `what` under `key` in `seen`, or reports at `path` that
   * this policy declares it twice (naming the first, as `list[i]`).
   */
  declaredOnce(seen: Map<string, number>, key: string, path: PathSegment[], what: string, index: number): void {
    const list = String(path[path.length - 3] ?? "");
    this.unique(
      seen,
      key,
      path,
      `${what} "${key}" is declared twice in this policy (first at ${list}[${seen.get(key)}])`,
      index,
    );
  }

  noControlChars(v: unknown, path: PathSegment[]): void {
    if (typeof v === "string") {
      const bad = controlCharProblem(v, allowsLineBreaks(formatPath(path)));
      if (bad) this.issues.add(path, bad);
    } else if (Array.isArray(v)) v.forEach((x, i) => this.noControlChars(x, [...path, i]));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        const bad = controlCharProblem(k);
        if (bad) this.issues.add([...path, k], `in a key: ${bad}`, "key");
        else this.noControlChars(x, [...path, k]);
      }
    }
  }
}

/**
 * What one policy's kinds tell the kinds checked after them (in policy-kinds.ts order):
 * the names each kind declares `absent` (a present reference to them is an error), the
 * MACs seen so far, and each earlier kind's declarations as written (e.g. the volume rules
 * read the type of a pool declared in the same policy).
 */
export interface PolicyReferences {
  /** Names declared absent, by kind (`volume` names are `pool/name`). */
  absent: Record<string, Set<string>>;
  /** MAC → where it was first used (`domains[0].interfaces[1]`). */
  seenMacs: Map<string, string>;
  /** The declarations of each kind checked so far, by its `spec.resources` key, as the document has them (schema-valid, not templated). */
  declared: Record<string, unknown>;
}

export function emptyReferences(): PolicyReferences {
  return { absent: {}, seenMacs: new Map(), declared: {} };
}

/** The set of `kind` names declared absent (created on first use). */
export function absentOf(refs: PolicyReferences, kind: string): Set<string> {
  refs.absent[kind] ??= new Set();
  return refs.absent[kind];
}
