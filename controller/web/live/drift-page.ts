import { ValidationError } from "../../../common/index.js";
import { html } from "../html.js";
import type { Route, WebRequest } from "../route.js";
import type { WebDeps } from "../deps.js";
import { driftHeader, driftRow } from "./drift-row.js";
import { parseCount, parseSince, problemPage } from "./format.js";

/** Rows the timeline shows by default, and at most (`?limit=`). */
export const DEFAULT_DRIFT_ROWS = 200;
export const MAX_DRIFT_ROWS = 1_000;

/** The timeline's filter, read from the query: host, since (ISO or `24h`), limit. */
export interface DriftFilter {
  host?: string;
  since?: number;
  sinceText: string;
  limit: number;
}

export function driftFilter(req: WebRequest, now: number): DriftFilter {
  const q = req.url.searchParams;
  const host = (q.get("host") ?? "").trim() || undefined;
  const sinceText = (q.get("since") ?? "").trim();
  return {
    host,
    since: parseSince("since", sinceText, now),
    sinceText,
    limit: parseCount("limit", q.get("limit"), DEFAULT_DRIFT_ROWS, MAX_DRIFT_ROWS),
  };
}

/**
 * GET /drift: the drift timeline, newest first (EventStore.listDrift, the query behind
 * `virtfleet drift`), filtered by host and since; live through /drift/events: new and changed
 * drift events are put on top without a reload (htmx SSE extension; see drift-events.ts).
 */
export const driftPage: Route<WebDeps> = {
  method: "GET",
  path: "/drift",
  role: "viewer",
  async handle(req, deps) {
    const now = Date.now();
    let f: DriftFilter;
    try {
      f = driftFilter(req, now);
    } catch (err) {
      if (err instanceof ValidationError)
        return problemPage("Drift", err.message, 400, { href: "/drift", label: "All drift" });
      throw err;
    }
    if (f.host !== undefined && !(await deps.hosts.get(f.host)))
      return problemPage("Drift", `host "${f.host}" is not enrolled (see the hosts page)`, 404, {
        href: "/drift",
        label: "All drift",
      });
    const rows = (await deps.events.listDrift({ host: f.host, since: f.since, limit: f.limit })).reverse();
    // The stream marks as possibly shown every event detected up to the newest row here.
    const after = rows[0]?.detectedAt ?? now;
    const stream = new URLSearchParams({ after: String(after) });
    if (f.host !== undefined) stream.set("host", f.host);
    const body = html`<form class="filter" method="get" action="/drift">
<label>Host <input name="host" value="${f.host ?? ""}" placeholder="all hosts"></label>
<label>Since <input name="since" value="${f.sinceText}" placeholder="e.g. 24h, 7d or 2026-01-31T12:00:00Z"></label>
<label>Rows <input name="limit" type="number" min="1" max="${MAX_DRIFT_ROWS}" value="${f.limit}"></label>
<button type="submit">Filter</button>
</form>
<p>${rows.length === f.limit ? `The newest ${f.limit} drift events` : `${rows.length} drift event${rows.length === 1 ? "" : "s"}`}${f.host ? ` of ${f.host}` : ""}${f.sinceText ? ` since ${f.sinceText}` : ""}, newest first. New drift appears at the top as it is detected.</p>
<div id="drift-live" hx-ext="sse" sse-connect="${`/drift/events?${stream.toString()}`}">
<p id="drift-gap" class="notice" sse-swap="drift-gap" aria-live="polite"></p>
<table class="drift-timeline">
<thead>${driftHeader()}</thead>
<tbody id="drift-rows" sse-swap="drift" hx-swap="afterbegin">${rows.map(driftRow)}</tbody>
</table>
${rows.length === 0 ? html`<p class="empty">No drift recorded${f.host || f.sinceText ? " for this filter" : ""}.</p>` : ""}
</div>`;
    return { kind: "page", title: "Drift", body };
  },
};
