import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
} from "yaml";
import type { SourceLocation } from "../kinds/resolved-policy.js";
import type { Locator, PathSegment, PolicyIssue } from "../policy-primitives/issues.js";
import { clipMessage, quoteToken } from "../policy-primitives/quote.js";
import { POLICY_LIMITS } from "./limits.js";
import { scanYaml } from "./yaml-scan.js";

/** One YAML document of a file: its plain value and a way back to source positions. */
export interface SourceDocument {
  file: string;
  /** 0-based index of the document in its file. */
  index: number;
  value: unknown;
  /** Position of the document's first content node. */
  start: SourceLocation;
  locate: Locator;
}

/**
 * Parses every `---`-separated document in `text`. Syntax errors come back as issues with
 * line:col; a file with any syntax error yields no documents. Empty documents are skipped.
 *
 * Hostile input: the text is first scanned (yaml-scan.ts) against POLICY_LIMITS.nesting and
 * .entries, so no parse can block the process for long; duplicate keys are found in one
 * linear pass (the yaml package's own `uniqueKeys` check is quadratic: 50,000 keys take
 * seconds); aliases may expand to at most POLICY_LIMITS.aliasCount nodes, reported at the
 * document's first alias.
 */
export function parseYamlDocuments(text: string, file: string): { documents: SourceDocument[]; issues: PolicyIssue[] } {
  const tooBig = scanYaml(text, POLICY_LIMITS);
  if (tooBig)
    return {
      documents: [],
      issues: [
        { file, line: tooBig.line, col: tooBig.col, path: "", message: `YAML refused unparsed: ${tooBig.message}` },
      ],
    };
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false, strict: true });
  const pos = (offset: number): SourceLocation => {
    const lp = lineCounter.linePos(offset);
    return { file, line: lp.line, col: lp.col };
  };
  const issues: PolicyIssue[] = [];
  const documents: SourceDocument[] = [];
  let index = 0;
  for (const doc of docs) {
    for (const err of doc.errors) {
      const at = pos(err.pos[0]);
      issues.push({ ...at, path: "", message: `YAML syntax: ${clipMessage(err.message)}` });
    }
    if (doc.errors.length === 0 && doc.contents !== null) {
      const dup = duplicateKey(doc);
      if (dup) {
        const first = pos(dup.first.range?.[0] ?? 0);
        issues.push({
          ...pos(dup.second.range?.[0] ?? 0),
          path: "",
          message: `YAML syntax: duplicate key ${quoteToken(dup.key)} (first at line ${first.line}); keys must be unique`,
        });
        index++;
        continue;
      }
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: POLICY_LIMITS.aliasCount });
      } catch (err) {
        const alias = firstAlias(doc);
        const at = pos(alias?.range?.[0] ?? doc.contents.range?.[0] ?? 0);
        const bomb = /alias/i.test((err as Error).message);
        const message = bomb
          ? `YAML aliases expand to too many nodes (more than ${POLICY_LIMITS.aliasCount}), as in a "billion laughs" document; write the values out or use fewer aliases`
          : `YAML: ${clipMessage((err as Error).message)}`;
        issues.push({ ...at, path: "", message });
        index++;
        continue;
      }
      if (value === null || value === undefined) {
        index++;
        continue;
      }
      const startNode = doc.contents as Node;
      documents.push({
        file,
        index,
        value,
        start: pos(startNode.range?.[0] ?? 0),
        locate: makeLocator(doc, pos),
      });
    }
    index++;
  }
  return { documents: issues.length > 0 ? [] : documents, issues };
}

function makeLocator(doc: Document, pos: (offset: number) => SourceLocation): Locator {
  return (path, at = "value") => {
    const found = nodeAt(doc, path);
    const node = at === "key" && found.exact && found.key ? found.key : found.node;
    return pos(node?.range?.[0] ?? 0);
  };
}

/** Walks `path` from the document root; returns the deepest node reached and whether it is exact. */
function nodeAt(doc: Document, path: readonly PathSegment[]): { node: Node | null; key: Node | null; exact: boolean } {
  let node = deref(doc, doc.contents as Node | null);
  let key: Node | null = null;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) return { node, key, exact: false };
      key = pair.key as Node;
      const next = deref(doc, pair.value as Node | null);
      if (!next) return { node: key, key, exact: i === path.length - 1 };
      node = next;
    } else if (isSeq(node) && typeof seg === "number" && seg < node.items.length) {
      key = null;
      node = deref(doc, node.items[seg] as Node | null);
    } else {
      return { node, key, exact: false };
    }
  }
  return { node, key, exact: true };
}

/** Every node of the document, depth-first without recursion (nesting is bounded, but not trusted). */
function* nodes(doc: Document): Generator<Node> {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const n = stack.pop();
    if (isMap(n) || isSeq(n)) {
      yield n;
      for (let i = n.items.length - 1; i >= 0; i--) {
        const item = n.items[i];
        if (isPair(item)) stack.push(item.value, item.key);
        else stack.push(item);
      }
    } else if (isScalar(n) || isAlias(n)) yield n;
  }
}

/** The first key that repeats an earlier key of the same mapping (compared as toJS would: as text). */
function duplicateKey(doc: Document): { key: string; first: Node; second: Node } | null {
  for (const n of nodes(doc)) {
    if (!isMap(n)) continue;
    const seen = new Map<string, Node>();
    for (const pair of n.items) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      const first = seen.get(key);
      if (first) return { key, first, second: pair.key };
      seen.set(key, pair.key);
    }
  }
  return null;
}

function firstAlias(doc: Document): Node | undefined {
  for (const n of nodes(doc)) if (isAlias(n)) return n;
  return undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function deref(doc: Document, node: Node | null): Node | null {
  if (node && isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? node;
  return node;
}
