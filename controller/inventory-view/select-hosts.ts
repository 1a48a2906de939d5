import {
  andSelectors,
  checkSelectorGroups,
  describeHost,
  groupSelector,
  matchSelector,
  parseSelector,
  type Inventory,
  type SelectableHost,
  type Selector,
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
  const selector = checkedSelector(inventory, query);
  return matching(
    rows.map((row) => resolveHost(row, inventory)),
    selector,
  );
}

/**
 * selectHosts for hosts already resolved against `inventory` (the dashboard's fleet view keeps
 * them resolved): same selection, same errors, without resolving each host again.
 */
export function selectResolved<T extends ResolvedHost>(
  hosts: readonly T[],
  inventory: Inventory,
  query: HostQuery = {},
): T[] {
  return matching(hosts, checkedSelector(inventory, query));
}

function checkedSelector(inventory: Inventory, query: HostQuery): Selector {
  const parts = [parseSelector(query.selector ?? "")];
  if (query.group) parts.unshift(groupSelector(query.group));
  const selector = andSelectors(...parts);
  checkSelectorGroups(selector, inventory);
  return selector;
}

function matching<T extends ResolvedHost>(hosts: readonly T[], selector: Selector): T[] {
  const out: T[] = [];
  for (const resolved of hosts) {
    const target = targetHostOf(resolved.row);
    // Facts are parsed only when the selector has a fact term.
    const host: SelectableHost = {
      name: resolved.row.name,
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
