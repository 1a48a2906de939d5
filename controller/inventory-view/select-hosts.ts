import {
  andSelectors,
  checkSelectorGroups,
  describeHost,
  groupSelector,
  matchSelector,
  parseSelector,
  type Inventory,
  type SelectableHost,
} from "../../common/index.js";
import { targetHostOf } from "../policies/index.js";
import type { HostRow } from "../hosts/index.js";

/** A stored host with its inventory resolution. */
export interface ResolvedHost {
  row: HostRow;
  /** As `describeHost`: `all` first, outer to inner, `ungrouped` when in no group. */
  groups: string[];
  labels: Record<string, string>;
}

export interface HostQuery {
  /** "" or undefined = no group filter. */
  group?: string;
  /** "" or undefined = every host; see policy-language/selector.ts for the syntax. */
  selector?: string;
}

/** Resolves one stored host against `inventory` (groups, labels) for display and selection. */
export function resolveHost(row: HostRow, inventory: Inventory): ResolvedHost {
  const info = describeHost(inventory, row.name);
  return { row, groups: info.groups, labels: info.labels };
}

/**
 * The stored hosts (in `rows` order) that are in `query.group` and match `query.selector`,
 * resolved against `inventory`. Facts come from the stored JSON (unparseable = unknown:
 * fact terms with `=` do not match). Throws `SelectorSyntaxError` for a malformed selector
 * and `UnknownGroupError` for a group (in `group` or a `group=` term) the inventory does not
 * define — both `ValidationError`s — before looking at any host.
 */
export function selectHosts(rows: readonly HostRow[], inventory: Inventory, query: HostQuery = {}): ResolvedHost[] {
  const parts = [parseSelector(query.selector ?? "")];
  if (query.group) parts.unshift(groupSelector(query.group));
  const selector = andSelectors(...parts);
  checkSelectorGroups(selector, inventory);
  const out: ResolvedHost[] = [];
  for (const row of rows) {
    const resolved = resolveHost(row, inventory);
    const target = targetHostOf(row);
    // Facts are parsed only when the selector has a fact term.
    const host: SelectableHost = {
      name: row.name,
      groups: resolved.groups,
      labels: resolved.labels,
      get facts() {
        return target.facts;
      },
    };
    if (matchSelector(selector, host)) out.push(resolved);
  }
  return out;
}
