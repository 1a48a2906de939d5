import { ValidationError } from "../common/errors.js";

/**
 * Host patterns: literal host names or IPv4 addresses with ranges in brackets.
 * `[1:3]` → 1,2,3; `[01:04]` → 01..04 (a start with a leading zero fixes the width);
 * `[a:d]` → a..d (single letters); several ranges multiply out (`r[1:2]n[1:2]` → 4 names).
 * Matching is case-sensitive and never expands the ranges.
 */

type Segment =
  | { kind: "text"; text: string }
  | { kind: "num"; start: number; end: number; width: number }
  | { kind: "alpha"; start: number; end: number };

export class HostPatternError extends ValidationError {}

/** Above this many names, `expand` refuses (use `matches` instead). */
export const DEFAULT_EXPAND_LIMIT = 65_536;

const LITERAL = /^[A-Za-z0-9._-]+$/;

export class HostPattern {
  private constructor(
    readonly source: string,
    private readonly segments: readonly Segment[],
  ) {}

  /** Parses `source`; throws HostPatternError naming the problem. */
  static parse(source: string): HostPattern {
    if (source.length === 0) throw new HostPatternError("empty host pattern");
    const segments: Segment[] = [];
    let i = 0;
    while (i < source.length) {
      const open = source.indexOf("[", i);
      const close = source.indexOf("]", i);
      if (close >= 0 && (open < 0 || close < open))
        throw new HostPatternError(`host pattern "${source}": "]" without "["`);
      const literalEnd = open < 0 ? source.length : open;
      if (literalEnd > i) {
        const text = source.slice(i, literalEnd);
        if (!LITERAL.test(text))
          throw new HostPatternError(
            `host pattern "${source}": only letters, digits, ".", "-", "_" and [a:b] ranges are allowed`,
          );
        segments.push({ kind: "text", text });
      }
      if (open < 0) break;
      const end = source.indexOf("]", open);
      if (end < 0) throw new HostPatternError(`host pattern "${source}": "[" without "]"`);
      segments.push(parseRange(source, source.slice(open + 1, end)));
      i = end + 1;
    }
    return new HostPattern(source, segments);
  }

  /** True when the pattern has no ranges. */
  get isLiteral(): boolean {
    return this.segments.every((s) => s.kind === "text");
  }

  /** How many names the pattern expands to. */
  get count(): number {
    return this.segments.reduce((n, s) => n * (s.kind === "text" ? 1 : s.end - s.start + 1), 1);
  }

  /** Every name, in order. Throws HostPatternError when there are more than `limit`. */
  expand(limit = DEFAULT_EXPAND_LIMIT): string[] {
    if (this.count > limit)
      throw new HostPatternError(`host pattern "${this.source}" expands to ${this.count} names (limit ${limit})`);
    let names = [""];
    for (const seg of this.segments) {
      const values = seg.kind === "text" ? [seg.text] : rangeValues(seg);
      names = names.flatMap((prefix) => values.map((v) => prefix + v));
    }
    return names;
  }

  /** Whether `name` is one of the names the pattern expands to (without expanding). */
  matches(name: string): boolean {
    return matchFrom(this.segments, 0, name, 0);
  }
}

function parseRange(source: string, body: string): Segment {
  const m = /^([0-9]+):([0-9]+)$/.exec(body);
  if (m) {
    const start = Number(m[1]);
    const end = Number(m[2]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start > end) {
      throw new HostPatternError(`host pattern "${source}": range [${body}] must go from low to high`);
    }
    const width = m[1].length > 1 && m[1].startsWith("0") ? m[1].length : 0;
    return { kind: "num", start, end, width };
  }
  const a = /^([a-z]):([a-z])$/.exec(body) ?? /^([A-Z]):([A-Z])$/.exec(body);
  if (a) {
    const start = a[1].charCodeAt(0);
    const end = a[2].charCodeAt(0);
    if (start > end) throw new HostPatternError(`host pattern "${source}": range [${body}] must go from low to high`);
    return { kind: "alpha", start, end };
  }
  throw new HostPatternError(`host pattern "${source}": range [${body}] must be [1:9], [01:09] or [a:z]`);
}

function formatNum(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function rangeValues(seg: Extract<Segment, { kind: "num" | "alpha" }>): string[] {
  const out: string[] = [];
  for (let v = seg.start; v <= seg.end; v++)
    out.push(seg.kind === "num" ? formatNum(v, seg.width) : String.fromCharCode(v));
  return out;
}

function matchFrom(segments: readonly Segment[], si: number, name: string, pos: number): boolean {
  if (si === segments.length) return pos === name.length;
  const seg = segments[si];
  if (seg.kind === "text")
    return name.startsWith(seg.text, pos) && matchFrom(segments, si + 1, name, pos + seg.text.length);
  if (seg.kind === "alpha") {
    const c = name.charCodeAt(pos);
    return c >= seg.start && c <= seg.end && matchFrom(segments, si + 1, name, pos + 1);
  }
  const maxLen = Math.max(String(seg.end).length, seg.width);
  for (let len = 1; len <= maxLen && pos + len <= name.length; len++) {
    const digits = name.slice(pos, pos + len);
    if (!/^[0-9]+$/.test(digits)) break;
    const v = Number(digits);
    if (
      v >= seg.start &&
      v <= seg.end &&
      formatNum(v, seg.width) === digits &&
      matchFrom(segments, si + 1, name, pos + len)
    )
      return true;
  }
  return false;
}

/** Every name `pattern` expands to. Throws HostPatternError on bad syntax or too many names. */
export function expandHostPattern(pattern: string, limit = DEFAULT_EXPAND_LIMIT): string[] {
  return HostPattern.parse(pattern).expand(limit);
}

/** Whether `name` matches `pattern`. Throws HostPatternError on bad syntax. */
export function matchesHostPattern(pattern: string, name: string): boolean {
  return HostPattern.parse(pattern).matches(name);
}
