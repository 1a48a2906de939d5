import { ValidationError } from "../common/errors.js";
import { ALL_GROUP, UNGROUPED_GROUP, type Inventory } from "./inventory.js";
import { HostPattern } from "./patterns.js";
import { factAt } from "./targets.js";

/**
 * Host selectors (`virtfleet hosts --selector S`). Syntax: comma-separated terms, all of
 * which must hold (AND); whitespace around terms and operators is ignored.
 *
 *   label=value  label!=value   inventory-resolved label (`labels.KEY` selects a label
 *                               literally named `group` or `name`)
 *   facts.PATH=value  facts.PATH!=value   dotted path into the reported facts
 *                               (`facts.cpu.virtualization=true`, `facts.numa.nodes=2`)
 *   group=G  group!=G           inventory group membership (incl. `all`, `ungrouped`)
 *   name=host  name!=host       exact host name
 *   name~=pattern               host pattern (`kvm[01:04].lab`, see spec/policy.md)
 *
 * Values parse as JSON scalars when possible (`true`, `2`, `"a,b"`), else are taken as
 * text; a double-quoted value may contain commas. Comparison follows policy targets: a
 * list fact matches when it contains the value, and scalars of different types compare as
 * text (`"2"` matches `2`). `!=` also matches when the label or fact is absent. The empty
 * selector matches every host. Any malformed term is a `SelectorSyntaxError` naming it.
 */
export type SelectorValue = string | number | boolean | null;

export type SelectorTerm =
  | { kind: "label"; key: string; negate: boolean; value: SelectorValue; text: string }
  | { kind: "fact"; path: string; negate: boolean; value: SelectorValue; text: string }
  | { kind: "group"; group: string; negate: boolean; text: string }
  | { kind: "name"; name: string; negate: boolean; text: string }
  | { kind: "pattern"; pattern: HostPattern; text: string };

export interface Selector {
  terms: readonly SelectorTerm[];
}

/** What a selector sees of a host: inventory-resolved groups and labels, and stored facts (undefined = unknown). */
export interface SelectableHost {
  name: string;
  groups: readonly string[];
  labels: Readonly<Record<string, string>>;
  facts: unknown;
}

/** A malformed selector term; `term` is the offending text. */
export class SelectorSyntaxError extends ValidationError {
  readonly term: string;
  constructor(term: string, reason: string) {
    super(`bad selector term "${term}": ${reason}`);
    this.term = term;
  }
}

/** A selector names a group the inventory does not define. */
export class UnknownGroupError extends ValidationError {
  readonly group: string;
  constructor(group: string, known: readonly string[]) {
    super(`unknown group ${group} (known: ${known.join(", ")})`);
    this.group = group;
  }
}

const KEY = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;
const TERM = /^([^!~=\s]+)\s*(!=|~=|=)\s*(.*)$/s;

/** Splits on commas outside double quotes; throws on an unterminated quote. */
function splitTerms(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === "\\") {
      cur += c + (text[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (quoted) throw new SelectorSyntaxError(cur.trim(), "unterminated double quote");
  out.push(cur);
  return out;
}

function parseValue(raw: string, term: string): SelectorValue {
  if (raw === "") throw new SelectorSyntaxError(term, "missing value after the operator");
  try {
    const v: unknown = JSON.parse(raw);
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
    throw new SelectorSyntaxError(
      term,
      "the value must be a scalar (text, number, true/false, null), not a list or object",
    );
  } catch (err) {
    if (err instanceof SelectorSyntaxError) throw err;
    if (raw.startsWith('"')) throw new SelectorSyntaxError(term, "invalid quoted value");
    return raw;
  }
}

function valueText(v: SelectorValue): string {
  return v === null ? "null" : String(v);
}

function parseTerm(text: string): SelectorTerm {
  const m = TERM.exec(text);
  if (!m) throw new SelectorSyntaxError(text, "expected KEY=VALUE, KEY!=VALUE or name~=PATTERN");
  const [, key, op, rawValue] = m as unknown as [string, string, "=" | "!=" | "~=", string];
  if (!KEY.test(key)) throw new SelectorSyntaxError(text, `invalid key "${key}"`);
  const value = parseValue(rawValue.trim(), text);
  const negate = op === "!=";
  if (op === "~=") {
    if (key !== "name") throw new SelectorSyntaxError(text, `~= (host pattern) applies only to name, not "${key}"`);
    try {
      return { kind: "pattern", pattern: HostPattern.parse(valueText(value)), text };
    } catch (err) {
      throw new SelectorSyntaxError(text, (err as Error).message);
    }
  }
  if (key === "group") return { kind: "group", group: valueText(value), negate, text };
  if (key === "name") return { kind: "name", name: valueText(value), negate, text };
  if (key.startsWith("facts.")) {
    const path = key.slice("facts.".length);
    if (path.split(".").some((s) => s === "")) throw new SelectorSyntaxError(text, `invalid fact path "${path}"`);
    return { kind: "fact", path, negate, value, text };
  }
  if (key === "facts") throw new SelectorSyntaxError(text, "facts needs a dotted path: facts.cpu.threads=8");
  const label = key.startsWith("labels.") ? key.slice("labels.".length) : key;
  if (label === "") throw new SelectorSyntaxError(text, "labels. needs a label name");
  return { kind: "label", key: label, negate, value, text };
}

/** Parses a selector (see the syntax above). Throws `SelectorSyntaxError` naming the first bad term. */
export function parseSelector(text: string): Selector {
  if (text.trim() === "") return { terms: [] };
  const parts = splitTerms(text).map((t) => t.trim());
  parts.forEach((t, i) => {
    if (t === "") throw new SelectorSyntaxError(t, `empty term at position ${i + 1} of "${text}"`);
  });
  return { terms: parts.map(parseTerm) };
}

/** Both selectors' terms, AND-ed. */
export function andSelectors(...selectors: readonly Selector[]): Selector {
  return { terms: selectors.flatMap((s) => s.terms) };
}

/** The selector `group=G` (for `hosts --group G`); throws `SelectorSyntaxError` on an empty or odd name. */
export function groupSelector(group: string): Selector {
  const g = group.trim();
  if (!KEY.test(g)) throw new SelectorSyntaxError(`group=${group}`, "invalid group name");
  return { terms: [{ kind: "group", group: g, negate: false, text: `group=${g}` }] };
}

/** Throws `UnknownGroupError` for the first group term the inventory does not define (implicit groups are known). */
export function checkSelectorGroups(selector: Selector, inventory: Inventory): void {
  const known = [ALL_GROUP, UNGROUPED_GROUP, ...[...inventory.groups.keys()].sort()];
  for (const t of selector.terms)
    if (t.kind === "group" && !known.includes(t.group)) throw new UnknownGroupError(t.group, known);
}

function valueEquals(actual: unknown, want: SelectorValue): boolean {
  if (Array.isArray(actual)) return actual.some((a) => valueEquals(a, want));
  if (actual === want) return true;
  if (actual === null || actual === undefined || typeof actual === "object" || want === null) return false;
  return String(actual) === String(want);
}

function termMatches(t: SelectorTerm, host: SelectableHost): boolean {
  switch (t.kind) {
    case "pattern":
      return t.pattern.matches(host.name);
    case "name":
      return (host.name === t.name) !== t.negate;
    case "group":
      return host.groups.includes(t.group) !== t.negate;
    case "label": {
      const has = Object.hasOwn(host.labels, t.key);
      return (has && valueEquals(host.labels[t.key], t.value)) !== t.negate;
    }
    case "fact":
      return valueEquals(factAt(host.facts, t.path), t.value) !== t.negate;
  }
}

/** Whether every term holds for `host`. */
export function matchSelector(selector: Selector, host: SelectableHost): boolean {
  return selector.terms.every((t) => termMatches(t, host));
}
