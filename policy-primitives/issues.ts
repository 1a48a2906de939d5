import { ValidationError } from "../common/errors.js";
import { scrubSecrets } from "../common/redact.js";
import { quoteToken } from "./quote.js";

/** Where a value came from, for error messages (`file:line:col`). */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

/** A step into a document: an object key or an array index. */
export type PathSegment = string | number;

/**
 * One problem in a policy or inventory file. `line`/`col` are 1-based; 0 means the problem
 * has no position (e.g. the file cannot be read). `path` is the field path in dotted form
 * (`spec.resources.domains[0].memory`), empty for whole-document problems (YAML syntax).
 */
export interface PolicyIssue {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * `["spec","resources","domains",0,"memory"]` → `spec.resources.domains[0].memory`; odd keys
 * are quoted as quoteToken does (scrubbed, clipped: a key may be a line of a foreign file).
 */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${quoteToken(seg)}]`;
  }
  return out;
}

/** `file:line:col: path: message`; the position and path parts are left out when unknown/empty. */
export function formatIssue(issue: PolicyIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Orders issues by file (in the given file order, unknown files last), then line, then column. */
export function sortIssues(issues: PolicyIssue[], fileOrder: readonly string[] = []): PolicyIssue[] {
  const rank = (f: string) => {
    const i = fileOrder.indexOf(f);
    return i < 0 ? fileOrder.length : i;
  };
  return [...issues].sort(
    (a, b) => rank(a.file) - rank(b.file) || a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col,
  );
}

/** Policies or an inventory failed validation; `issues` lists every problem found. */
export class PolicyValidationError extends ValidationError {
  readonly issues: readonly PolicyIssue[];

  constructor(issues: readonly PolicyIssue[], options?: { cause?: unknown }) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super(first ? `${formatIssue(first)}${more}` : "invalid policy", options);
    this.issues = issues;
  }
}

/** Maps a path in one document to the source position of that field. */
export type Locator = (path: readonly PathSegment[], at?: "key" | "value") => SourceLocation;

/**
 * Collects issues for one document: at most one issue per field path (the first wins, so
 * a schema error is not repeated by a later semantic check of the same field).
 */
export class IssueList {
  readonly items: PolicyIssue[] = [];
  private readonly seen = new Set<string>();

  constructor(
    readonly file: string,
    private readonly locate: Locator,
  ) {}

  /** Adds an issue; text shaped like a secret (a crypt hash, URL credentials) is scrubbed from `message`. */
  add(path: readonly PathSegment[], message: string, at: "key" | "value" = "value"): void {
    const p = formatPath(path);
    if (this.seen.has(p)) return;
    this.seen.add(p);
    const loc = this.locate(path, at);
    this.items.push({ file: loc.file, line: loc.line, col: loc.col, path: p, message: scrubSecrets(message) });
  }

  /** True when an issue was recorded at `path` or below it. */
  hasAt(path: readonly PathSegment[]): boolean {
    const p = formatPath(path);
    for (const s of this.seen) if (s === p || s.startsWith(p + ".") || s.startsWith(p + "[")) return true;
    return false;
  }

  get empty(): boolean {
    return this.items.length === 0;
  }
}
