import type { IssueList } from "../policy-primitives/issues.js";
import { DEFAULT_EXPAND_LIMIT, HostPattern } from "./patterns.js";
import type { InventoryDocument, VarValue } from "./schema.js";

/** The implicit groups: every known host, and hosts in no inventory group. */
export const ALL_GROUP = "all";
export const UNGROUPED_GROUP = "ungrouped";

export interface InventoryGroup {
  name: string;
  hosts: readonly HostPattern[];
  children: readonly string[];
  labels: Readonly<Record<string, string>>;
  vars: Readonly<Record<string, VarValue>>;
  /** 0 for a group no other group lists as a child; parents come before children. */
  depth: number;
}

export interface InventoryHostEntry {
  pattern: HostPattern;
  labels: Readonly<Record<string, string>>;
  vars: Readonly<Record<string, VarValue>>;
}

export interface Inventory {
  /** The file it came from; null for the empty inventory used when there is none. */
  file: string | null;
  groups: ReadonlyMap<string, InventoryGroup>;
  hosts: readonly InventoryHostEntry[];
}

/** A host as the inventory sees it. */
export interface HostInfo {
  name: string;
  /** `all` first, then groups from outermost to innermost (by depth, then name); `ungrouped` last when in no group. */
  groups: string[];
  /** Group labels (outer to inner), then host entries, then `extraLabels`; later wins. */
  labels: Record<string, string>;
  /** Group vars (outer to inner), then host entries; later wins. Policy vars go under these. */
  vars: Record<string, VarValue>;
}

export function emptyInventory(): Inventory {
  return { file: null, groups: new Map(), hosts: [] };
}

/**
 * Builds an inventory from a schema-valid document, adding issues for bad host patterns
 * (including one that expands to more than DEFAULT_EXPAND_LIMIT names, which could never be
 * listed), reserved or unknown group names, and `children` cycles (naming the cycle).
 */
export function buildInventory(doc: InventoryDocument, file: string, issues: IssueList): Inventory {
  const groups = new Map<string, InventoryGroup>();
  const rawGroups = doc.groups ?? {};
  for (const [name, g] of Object.entries(rawGroups)) {
    if (name === ALL_GROUP || name === UNGROUPED_GROUP) {
      issues.add(
        ["groups", name],
        `"${name}" is an implicit group and cannot be defined; put shared vars in the policy or a parent group`,
        "key",
      );
      continue;
    }
    const hosts: HostPattern[] = [];
    (g.hosts ?? []).forEach((p, i) => {
      try {
        hosts.push(expandable(HostPattern.parse(p)));
      } catch (err) {
        issues.add(["groups", name, "hosts", i], (err as Error).message);
      }
    });
    (g.children ?? []).forEach((child, i) => {
      if (!Object.hasOwn(rawGroups, child)) issues.add(["groups", name, "children", i], `unknown group "${child}"`);
    });
    groups.set(name, { name, hosts, children: g.children ?? [], labels: g.labels ?? {}, vars: g.vars ?? {}, depth: 0 });
  }
  const cyclic = reportCycles(groups, issues);
  assignDepths(groups, cyclic);
  const hosts: InventoryHostEntry[] = [];
  for (const [key, h] of Object.entries(doc.hosts ?? {})) {
    try {
      hosts.push({ pattern: expandable(HostPattern.parse(key)), labels: h.labels ?? {}, vars: h.vars ?? {} });
    } catch (err) {
      issues.add(["hosts", key], (err as Error).message, "key");
    }
  }
  return { file, groups, hosts };
}

/** `pattern`, when it can be expanded (inventoryHostNames lists every name); else throws its HostPatternError. */
function expandable(pattern: HostPattern): HostPattern {
  if (pattern.count > DEFAULT_EXPAND_LIMIT) pattern.expand();
  return pattern;
}

/** Reports each children cycle once; returns the groups on a cycle. */
function reportCycles(groups: Map<string, InventoryGroup>, issues: IssueList): Set<string> {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const cyclic = new Set<string>();
  const reported = new Set<string>();
  const visit = (name: string) => {
    state.set(name, "visiting");
    stack.push(name);
    for (const child of groups.get(name)?.children ?? []) {
      if (!groups.has(child)) continue;
      if (state.get(child) === "visiting") {
        const cycle = [...stack.slice(stack.indexOf(child)), child];
        cycle.forEach((g) => cyclic.add(g));
        const key = [...new Set(cycle)].sort().join(",");
        if (!reported.has(key)) {
          reported.add(key);
          issues.add(["groups", name, "children"], `group cycle: ${cycle.join(" → ")}`);
        }
      } else if (!state.has(child)) visit(child);
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const name of groups.keys()) if (!state.has(name)) visit(name);
  return cyclic;
}

function assignDepths(groups: Map<string, InventoryGroup>, cyclic: Set<string>): void {
  const parents = parentMap(groups);
  const memo = new Map<string, number>();
  const depth = (name: string): number => {
    if (cyclic.has(name)) return 0;
    const known = memo.get(name);
    if (known !== undefined) return known;
    const d = Math.max(-1, ...[...(parents.get(name) ?? [])].map(depth)) + 1;
    memo.set(name, d);
    return d;
  };
  for (const g of groups.values()) g.depth = depth(g.name);
}

function parentMap(groups: ReadonlyMap<string, InventoryGroup>): Map<string, Set<string>> {
  const parents = new Map<string, Set<string>>();
  for (const g of groups.values()) {
    for (const c of g.children) {
      if (!parents.has(c)) parents.set(c, new Set());
      parents.get(c)!.add(g.name);
    }
  }
  return parents;
}

/** The groups `name` belongs to: direct groups, their ancestors, `all`, and `ungrouped` when in none. */
export function hostGroups(inv: Inventory, name: string): string[] {
  const direct = [...inv.groups.values()].filter((g) => g.hosts.some((p) => p.matches(name))).map((g) => g.name);
  const parents = parentMap(inv.groups);
  const found = new Set<string>();
  const climb = (g: string) => {
    if (found.has(g)) return;
    found.add(g);
    for (const p of parents.get(g) ?? []) climb(p);
  };
  direct.forEach(climb);
  const ordered = [...found].sort((a, b) => inv.groups.get(a)!.depth - inv.groups.get(b)!.depth || a.localeCompare(b));
  return [ALL_GROUP, ...ordered, ...(direct.length === 0 ? [UNGROUPED_GROUP] : [])];
}

/** A host's groups, labels and merged vars. `extraLabels` (e.g. from enrolment) win over the inventory. */
export function describeHost(inv: Inventory, name: string, extraLabels: Record<string, string> = {}): HostInfo {
  const groups = hostGroups(inv, name);
  const labels: Record<string, string> = {};
  const vars: Record<string, VarValue> = {};
  for (const g of groups) {
    const group = inv.groups.get(g);
    if (!group) continue;
    Object.assign(labels, group.labels);
    Object.assign(vars, group.vars);
  }
  for (const h of inv.hosts) {
    if (!h.pattern.matches(name)) continue;
    Object.assign(labels, h.labels);
    Object.assign(vars, h.vars);
  }
  Object.assign(labels, extraLabels);
  return { name, groups, labels, vars };
}

/** Every host name the inventory lists (groups and hosts), expanded, sorted, unique. */
export function inventoryHostNames(inv: Inventory, limit?: number): string[] {
  const names = new Set<string>();
  for (const g of inv.groups.values()) for (const p of g.hosts) p.expand(limit).forEach((n) => names.add(n));
  for (const h of inv.hosts) h.pattern.expand(limit).forEach((n) => names.add(n));
  return [...names].sort();
}

/** Every variable name any group or host of the inventory defines. */
export function inventoryVarNames(inv: Inventory): Set<string> {
  const names = new Set<string>();
  for (const g of inv.groups.values()) Object.keys(g.vars).forEach((k) => names.add(k));
  for (const h of inv.hosts) Object.keys(h.vars).forEach((k) => names.add(k));
  return names;
}
