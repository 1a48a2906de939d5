import {
  allowsLineBreaks,
  checkAbsolutePath,
  controlCharProblem,
  matchesPattern,
  PATTERN_HELP,
  type PatternName,
} from "../policy-primitives/names.js";

/**
 * The value rules of the policy loader, re-applied to one RESOLVED resource spec (after
 * templating, as a bundle carries it). The loader already enforced them; the agent runs
 * them again when it builds a resource, so a bundle that did not come through the loader
 * (a bug, a corrupt cache, a hostile peer) still cannot name a file outside its pool, put
 * markup into libvirt XML or an option into a command line. Each kind's `check.ts` says
 * which rule applies to which field; this class holds the rules.
 *
 * Contract: `problems` lists every problem as `field: message`, one per field. Values are
 * not quoted back, except through JSON (so a hostile value cannot forge a message).
 */
export class SpecChecker {
  readonly problems: string[] = [];

  add(field: string, message: string): void {
    if (!this.problems.some((p) => p.startsWith(`${field}: `))) this.problems.push(`${field}: ${message}`);
  }

  /** Every string (and key) anywhere in the spec: no control characters. */
  strings(v: unknown, field: string): void {
    if (typeof v === "string") {
      const bad = controlCharProblem(v, allowsLineBreaks(field));
      if (bad) this.add(field || "value", bad);
    } else if (Array.isArray(v)) v.forEach((x, i) => this.strings(x, `${field}[${i}]`));
    else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        const bad = controlCharProblem(k);
        if (bad) this.add(field || "key", `in a key: ${bad}`);
        else this.strings(x, field ? `${field}.${k}` : k);
      }
    }
  }

  /** `v` has the format `pattern` (or is null/undefined when `optional`). */
  format(v: unknown, field: string, pattern: PatternName, optional = false): void {
    if (optional && (v === null || v === undefined)) return;
    if (typeof v !== "string" || !matchesPattern(pattern, v))
      this.add(field, `invalid value ${clip(v)}: ${PATTERN_HELP[pattern]}`);
  }

  /** `v` is an absolute, normalised path. */
  path(v: unknown, field: string): void {
    const problem = typeof v === "string" ? checkAbsolutePath(v) : "must be a string";
    if (problem) this.add(field, problem);
  }
}

/** Every problem of `spec` under a kind's `check` (control characters everywhere first). */
export function specProblems<S>(spec: S, check: (c: SpecChecker, spec: S) => void): string[] {
  const c = new SpecChecker();
  c.strings(spec, "");
  check(c, spec);
  return c.problems;
}

function clip(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
