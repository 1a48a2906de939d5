import { ValidationError } from "../../../common/index.js";
import { html, type Html } from "../html.js";
import type { Route, WebRequest } from "../route.js";
import type { WebDeps } from "../deps.js";
import { COMPLIANCE_WORDS, LIVE_HOST_STATES, type FleetHost, type FleetIndex } from "../fleet-index.js";
import { badge, query, time } from "../format.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
const MAX_FILTER_CHARS = 500;

/** The sortable columns and how they compare (ties by name). */
const SORTS: Record<string, (a: FleetHost, b: FleetHost) => number> = {
  name: () => 0,
  state: (a, b) => a.state.localeCompare(b.state),
  compliance: (a, b) => a.compliance.localeCompare(b.compliance),
  policies: (a, b) => a.policies - b.policies,
  lastSeen: (a, b) => a.row.lastSeen - b.row.lastSeen,
  agent: (a, b) => a.row.agentVersion.localeCompare(b.row.agentVersion),
};

/** What the hosts table was asked for (its query string), validated. */
export interface HostsQuery {
  q: string;
  group: string;
  label: string;
  fact: string;
  state: string;
  sort: string;
  dir: "asc" | "desc";
  page: number;
  size: number;
}

function intParam(v: string | null, fallback: number, min: number, max: number): number {
  const n = Number(v);
  return v && /^\d+$/.test(v) && Number.isSafeInteger(n) ? Math.min(Math.max(n, min), max) : fallback;
}

export function parseHostsQuery(url: URL): HostsQuery {
  const p = url.searchParams;
  const text = (k: string) => (p.get(k) ?? "").trim().slice(0, MAX_FILTER_CHARS);
  const sort = text("sort");
  const state = text("state");
  return {
    q: text("q"),
    group: text("group"),
    label: text("label"),
    fact: text("fact"),
    state:
      (LIVE_HOST_STATES as readonly string[]).includes(state) || (COMPLIANCE_WORDS as readonly string[]).includes(state)
        ? state
        : "",
    sort: Object.hasOwn(SORTS, sort) ? sort : "name",
    dir: text("dir") === "desc" ? "desc" : "asc",
    page: intParam(p.get("page"), 1, 1, 1_000_000),
    size: intParam(p.get("size"), DEFAULT_PAGE_SIZE, 10, MAX_PAGE_SIZE),
  };
}

/**
 * The selector the label and fact filters make (controller/inventory-view's syntax): the label
 * filter is `key=value` (or `key!=value`), the fact filter `path=value` with or without the
 * `facts.` prefix. Several terms are comma-separated.
 */
export function filterSelector(label: string, fact: string): string {
  const terms: string[] = [];
  for (const t of label
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (/^(facts\.|group|name)/.test(t))
      throw new ValidationError(`the label filter "${t}" is not a label term (key=value)`);
    terms.push(t);
  }
  for (const t of fact
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean))
    terms.push(t.startsWith("facts.") ? t : `facts.${t}`);
  return terms.join(",");
}

/** One page of the table: filter (name substring, group/label/fact through the selector, state), sort, slice. */
export function pageOf(
  hosts: readonly FleetHost[],
  q: HostsQuery,
): { rows: FleetHost[]; total: number; pages: number; page: number } {
  const needle = q.q.toLowerCase();
  const kept = hosts.filter(
    (h) =>
      (!needle || h.name.toLowerCase().includes(needle)) &&
      (!q.state || h.state === q.state || h.compliance === q.state),
  );
  const cmp = SORTS[q.sort]!;
  const sign = q.dir === "desc" ? -1 : 1;
  const sorted =
    q.sort === "name" && q.dir === "asc"
      ? kept
      : [...kept].sort((a, b) => sign * (cmp(a, b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  const pages = Math.max(1, Math.ceil(sorted.length / q.size));
  const page = Math.min(q.page, pages);
  return { rows: sorted.slice((page - 1) * q.size, page * q.size), total: sorted.length, pages, page };
}

/** The table's own query string with some parameters changed (filters kept). */
function link(q: HostsQuery, change: Partial<HostsQuery>): string {
  const n = { ...q, ...change };
  return `/hosts${query({
    q: n.q,
    group: n.group,
    label: n.label,
    fact: n.fact,
    state: n.state,
    sort: n.sort === "name" ? "" : n.sort,
    dir: n.dir === "asc" ? "" : n.dir,
    page: n.page === 1 ? "" : n.page,
    size: n.size === DEFAULT_PAGE_SIZE ? "" : n.size,
  })}`;
}

function header(q: HostsQuery, column: string, label: string): Html {
  const active = q.sort === column;
  const dir = active && q.dir === "asc" ? "desc" : "asc";
  const aria = active ? (q.dir === "asc" ? "ascending" : "descending") : "none";
  return html`<th aria-sort="${aria}"><a href="${link(q, { sort: column, dir, page: 1 })}">${label}${active ? (q.dir === "asc" ? " ▲" : " ▼") : ""}</a></th>`;
}

function filters(q: HostsQuery, groups: readonly string[]): Html {
  const states = [...LIVE_HOST_STATES, ...COMPLIANCE_WORDS];
  return html`<form class="filters" method="get" action="/hosts" role="search">
<label>Name <input type="search" name="q" value="${q.q}" placeholder="part of a name"></label>
<label>Group <select name="group"><option value="">any</option>${groups.map(
    (g) => html`<option${g === q.group ? html` selected` : ""}>${g}</option>`,
  )}</select></label>
<label>Label <input name="label" value="${q.label}" placeholder="rack=r1"></label>
<label>Fact <input name="fact" value="${q.fact}" placeholder="cpu.virtualization=true"></label>
<label>State <select name="state"><option value="">any</option>${states.map(
    (s) => html`<option${s === q.state ? html` selected` : ""}>${s}</option>`,
  )}</select></label>
<input type="hidden" name="sort" value="${q.sort === "name" ? "" : q.sort}">
<input type="hidden" name="dir" value="${q.dir === "asc" ? "" : q.dir}">
<button type="submit">Filter</button> <a href="/hosts">clear</a>
</form>`;
}

/** GET /hosts: search, filters (group, label, fact, state), sortable columns, server-side pages. */
export function hostsRoute(index: FleetIndex): Route<WebDeps> {
  return {
    method: "GET",
    path: "/hosts",
    role: "viewer",
    handle: async (req: WebRequest, deps: WebDeps) => {
      const q = parseHostsQuery(req.url);
      const groups = [...deps.policies.current().inventory.groups.keys()].sort();
      const snapshot = await index.snapshot();
      let problem = "";
      let selected: readonly FleetHost[] = snapshot.hosts;
      try {
        selected = await index.select(snapshot, q.group, filterSelector(q.label, q.fact));
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        problem = err.message;
        selected = [];
      }
      const { rows, total, pages, page } = pageOf(selected, q);
      const body = html`${filters(q, groups)}
${problem ? html`<p class="refused" role="alert">${problem}</p>` : ""}
<p class="count">${total} of ${snapshot.hosts.length} hosts · page ${page} of ${pages}</p>
<table class="hosts">
<thead><tr>${header(q, "name", "Host")}${header(q, "state", "State")}${header(q, "compliance", "Compliance")}${header(q, "policies", "Policies")}<th>Groups</th>${header(q, "lastSeen", "Last seen")}${header(q, "agent", "Agent")}</tr></thead>
<tbody>
${rows.map(
  (h) => html`<tr>
<td><a href="/hosts/${encodeURIComponent(h.name)}">${h.name}</a></td>
<td>${badge(h.state)}${h.stateDetail ? html` <span class="detail">${h.stateDetail}</span>` : ""}</td>
<td>${badge(h.compliance)}</td>
<td>${h.policies}${h.notCompliant > 0 ? html` <span class="detail">(${h.notCompliant} not compliant)</span>` : ""}</td>
<td>${h.groups.filter((g) => g !== "all").join(", ")}</td>
<td>${time(h.row.lastSeen)}</td>
<td>${h.row.agentVersion}</td>
</tr>`,
)}
</tbody>
</table>
<nav class="pages" aria-label="pages">
${page > 1 ? html`<a rel="prev" href="${link(q, { page: page - 1 })}">← previous</a>` : ""}
${page < pages ? html`<a rel="next" href="${link(q, { page: page + 1 })}">next →</a>` : ""}
</nav>`;
      return { kind: "page", title: "Hosts", body, status: problem ? 400 : 200 };
    },
  };
}
