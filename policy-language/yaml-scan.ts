/**
 * A linear pre-scan of YAML text, run before the `yaml` package parses it. Parsing is not
 * linear in the worst case: 800 KB of nested `[[[[…` takes seconds (the parser recurses
 * until the stack overflows, then reports that), and so do a few hundred thousand tiny
 * nodes. This scan bounds both in one pass over the characters, far faster than a parse:
 *
 * - nesting: block collections (by indentation), compact ones (`- - x`, `? `) and flow
 *   collections (`[`, `{`) together, at the deepest point;
 * - entries: non-empty, non-comment lines plus flow-collection items (commas).
 *
 * It knows quoted scalars, comments and block scalars (`|`, `>`) well enough that their
 * text does not count. It is conservative: an unbalanced bracket inside a plain scalar
 * counts as nesting. Returns the first bound exceeded, with its 1-based line:col, or null.
 */
export interface YamlScanLimits {
  nesting: number;
  entries: number;
}

export interface YamlScanProblem {
  line: number;
  col: number;
  message: string;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

export function scanYaml(text: string, limits: YamlScanLimits): YamlScanProblem | null {
  const n = text.length;
  /** Indents of the open block collections (strictly increasing). */
  const indents: number[] = [];
  let flow = 0;
  let entries = 0;
  let quote: 0 | 0x22 | 0x27 = 0;
  /** Lines indented more than this belong to a block scalar (-1: none open). */
  let blockScalarIndent = -1;
  let line = 1;
  let i = 0;

  const at = (pos: number, lineStart: number, message: string): YamlScanProblem => ({
    line,
    col: pos - lineStart + 1,
    message,
  });

  while (i < n) {
    const lineStart = i;
    let end = text.indexOf("\n", i);
    if (end < 0) end = n;
    let p = i;

    if (quote === 0 && flow === 0) {
      while (p < end && (text.charCodeAt(p) === SPACE || text.charCodeAt(p) === TAB)) p++;
      const indent = p - lineStart;
      const blank = p >= end || text.charCodeAt(p) === CR || text.charCodeAt(p) === 0x23; /* # */
      if (blockScalarIndent >= 0) {
        if (blank || indent > blockScalarIndent) {
          i = end + 1;
          line++;
          continue;
        }
        blockScalarIndent = -1;
      }
      if (blank) {
        i = end + 1;
        line++;
        continue;
      }
      if (++entries > limits.entries)
        return at(p, lineStart, `more than ${limits.entries} entries (lines and list items) in one file`);
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
      // Compact nesting on one line: `- - x`, `? - x`, `- ? x`.
      let compact = 0;
      while (
        p + 1 < end &&
        (text.charCodeAt(p) === 0x2d /* - */ || text.charCodeAt(p) === 0x3f) /* ? */ &&
        isBlank(text.charCodeAt(p + 1))
      ) {
        compact++;
        p += 2;
        while (p < end && isBlank(text.charCodeAt(p))) p++;
      }
      if (indents.length + compact > limits.nesting)
        return at(p, lineStart, `collections nested deeper than ${limits.nesting} levels`);
      if (opensBlockScalar(text, p, end)) blockScalarIndent = indent;
    } else if (quote === 0 && flow > 0) {
      if (++entries > limits.entries)
        return at(p, lineStart, `more than ${limits.entries} entries (lines and list items) in one file`);
    }

    // The rest of the line: quotes, comments, flow brackets.
    for (; p < end; p++) {
      const c = text.charCodeAt(p);
      if (quote === 0x22) {
        if (c === 0x5c /* \ */) p++;
        else if (c === 0x22) quote = 0;
        continue;
      }
      if (quote === 0x27) {
        if (c === 0x27) {
          if (p + 1 < end && text.charCodeAt(p + 1) === 0x27) p++;
          else quote = 0;
        }
        continue;
      }
      const prev = p === lineStart ? SPACE : text.charCodeAt(p - 1);
      const tokenStart =
        isBlank(prev) || prev === 0x5b || prev === 0x7b || prev === 0x2c || prev === 0x3a; /* [ { , : */
      if ((c === 0x22 || c === 0x27) && tokenStart) quote = c;
      else if (c === 0x23 /* # */ && isBlank(prev)) break;
      else if (c === 0x5b || c === 0x7b) {
        flow++;
        if (indents.length + flow > limits.nesting)
          return at(p, lineStart, `collections nested deeper than ${limits.nesting} levels`);
      } else if (c === 0x5d || c === 0x7d) {
        if (flow > 0) flow--;
      } else if (c === 0x2c /* , */ && flow > 0) {
        if (++entries > limits.entries)
          return at(p, lineStart, `more than ${limits.entries} entries (lines and list items) in one file`);
      }
    }
    i = end + 1;
    line++;
  }
  return null;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR || Number.isNaN(c);
}

/** True when the line's value part (from `p`) ends with a block scalar header (`key: |`, `- >-2`). */
function opensBlockScalar(text: string, p: number, end: number): boolean {
  let e = end;
  while (e > p && isBlank(text.charCodeAt(e - 1))) e--;
  // A trailing comment (searched within this line only).
  for (let h = e - 1; h > p; h--) {
    if (text.charCodeAt(h) === 0x23 /* # */ && isBlank(text.charCodeAt(h - 1))) {
      e = h;
      while (e > p && isBlank(text.charCodeAt(e - 1))) e--;
      break;
    }
  }
  let s = e;
  while (s > p && /[-+0-9]/.test(text[s - 1]!)) s--;
  if (s <= p) return false;
  const c = text.charCodeAt(s - 1);
  if (c !== 0x7c /* | */ && c !== 0x3e /* > */) return false;
  return s - 1 === p || isBlank(text.charCodeAt(s - 2));
}
