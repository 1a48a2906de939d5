import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from "yaml";
import type { SourceLocation } from "../resource-specs.js";
import type { Locator, PathSegment, PolicyIssue } from "./issues.js";

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

/** Limits alias expansion (billion-laughs documents). */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses every `---`-separated document in `text`. Syntax errors come back as issues with
 * line:col; a file with any syntax error yields no documents. Empty documents are skipped.
 */
export function parseYamlDocuments(text: string, file: string): { documents: SourceDocument[]; issues: PolicyIssue[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
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
      issues.push({ ...at, path: "", message: `YAML syntax: ${err.message}` });
    }
    if (doc.errors.length === 0 && doc.contents !== null) {
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (err) {
        issues.push({ ...pos(doc.contents.range?.[0] ?? 0), path: "", message: `YAML: ${(err as Error).message}` });
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

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function deref(doc: Document, node: Node | null): Node | null {
  if (node && isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? node;
  return node;
}
