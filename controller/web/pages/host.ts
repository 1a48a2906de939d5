import { NotFoundError } from "../../../common/index.js";
import { DEFAULT_HISTORY_LIMIT, resyncHost, toHostDetail, toHostRecord } from "../../admin/index.js";
import { hasRole } from "../../auth/index.js";
import { driftToJson } from "../../ingest/index.js";
import { resolveHost } from "../../inventory-view/index.js";
import { html, type Html } from "../html.js";
import type { Route, WebSession } from "../route.js";
import type { WebDeps } from "../deps.js";
import { complianceWord } from "../fleet-index.js";
import { badge, csrfField, jsonText, time } from "../format.js";

/** Drift events shown on a host's page (the newest). */
export const HOST_DRIFT_LIMIT = 50;

function facts(factsJson: string): Html {
  let parsed: unknown;
  try {
    parsed = JSON.parse(factsJson || "{}");
  } catch {
    return html`<p class="none">The stored facts are not readable JSON.</p>`;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return html`<p class="none">No facts.</p>`;
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) return html`<p class="none">No facts reported yet.</p>`;
  return html`<dl class="facts">${entries.map(
    ([k, v]) =>
      html`<dt>${k}</dt><dd>${
        v !== null && typeof v === "object" ? html`<pre>${JSON.stringify(v, null, 2)}</pre>` : jsonText(v)
      }</dd>`,
  )}</dl>`;
}

/** "Re-check now" (operator): a plain form, so it works without JavaScript; disabled, with why, for a viewer. */
function resyncForm(name: string, session: WebSession, notice: string | null): Html {
  const allowed = hasRole(session.role, "operator");
  return html`<form class="actions" method="post" action="/hosts/${encodeURIComponent(name)}/resync">
${csrfField(session)}<button type="submit"${allowed ? "" : html` disabled title="needs role operator (you are ${session.role})"`}>Re-check now</button>
${allowed ? "" : html`<span class="detail">needs role operator</span>`}
${notice === "sent" ? html`<span class="detail" role="status">re-check sent to the agent</span>` : notice === "not-connected" ? html`<span class="detail" role="status">the agent is not connected</span>` : ""}
</form>`;
}

function none(text: string): Html {
  return html`<p class="none">${text}</p>`;
}

/**
 * GET /hosts/:name: the host's state and compliance, facts, policies with revisions, every
 * resource's last outcome, its drift history and fact changes. Reads what `virtfleet host
 * NAME` reads (the admin API's toHostRecord / toHostDetail, HostStore.factHistory,
 * EventStore.listDrift).
 */
export const hostRoute: Route<WebDeps> = {
  method: "GET",
  path: "/hosts/:name",
  role: "viewer",
  handle: async (req, deps) => {
    const name = req.params.name ?? "";
    const row = await deps.hosts.get(name);
    if (!row) throw new NotFoundError(`host "${name}" is not enrolled`);
    const inventory = deps.policies.current().inventory;
    const [detail, history, drift, compliance] = await Promise.all([
      toHostDetail(deps.compliance, name),
      deps.hosts.factHistory(name, DEFAULT_HISTORY_LIMIT),
      deps.events.listDrift({ host: name, limit: HOST_DRIFT_LIMIT }),
      deps.compliance.host(name),
    ]);
    const record = toHostRecord(
      row,
      detail?.summary,
      resolveHost(row, inventory),
      deps.agents.session(name),
      deps.conditions,
    );
    const policies = detail?.fields.policies ?? [];
    const resources = detail?.fields.resources ?? [];
    const labels = Object.entries(record.labels ?? {});
    const body = html`${resyncForm(name, req.session, req.url.searchParams.get("resync"))}
<section class="summary">
<dl>
<dt>State</dt><dd>${badge(record.state ?? "")}${record.stateDetail ? html` <span class="detail">${record.stateDetail}</span>` : ""}${
      !row.connected && row.disconnectReason ? html` <span class="detail">${row.disconnectReason}</span>` : ""
    }</dd>
<dt>Compliance</dt><dd>${badge(complianceWord(compliance))}${
      compliance?.unknownReason ? html` <span class="detail">${compliance.unknownReason}</span>` : ""
    }</dd>
<dt>Last seen</dt><dd>${time(row.lastSeen)}</dd>
<dt>First seen</dt><dd>${time(row.firstSeen)}</dd>
<dt>Agent</dt><dd>${row.agentVersion || "—"}</dd>
<dt>Groups</dt><dd>${(record.groups ?? []).join(", ") || "—"}</dd>
<dt>Labels</dt><dd>${labels.length ? labels.map(([k, v]) => html`<code>${k}=${v}</code> `) : "—"}</dd>
<dt>Bundle generation</dt><dd>${detail ? `${detail.fields.observedGeneration} of ${detail.fields.generation} converged` : "—"}</dd>
<dt>Last report</dt><dd>${time(detail?.fields.lastReportAt)}</dd>
</dl>
</section>
<h2>Policies</h2>
${
  policies.length === 0
    ? none("No policy targets this host.")
    : html`<table><thead><tr><th>Policy</th><th>Revision</th><th>Converged revision</th><th>Status</th><th>ok</th><th>drift</th><th>failed</th></tr></thead><tbody>
${policies.map(
  (p) =>
    html`<tr><td>${p.name}</td><td><code>${p.revision}</code></td><td><code>${p.observedRevision || "—"}</code></td><td>${badge(p.status ?? "")}</td><td>${p.ok}</td><td>${p.drift}</td><td>${p.failed}</td></tr>`,
)}
</tbody></table>`
}
<h2>Resources</h2>
${
  resources.length === 0
    ? none("No resource outcome reported yet.")
    : html`<table><thead><tr><th>Policy</th><th>Kind</th><th>Name</th><th>Last outcome</th><th>At</th><th>Changes / error</th></tr></thead><tbody>
${resources.map(
  (r) =>
    html`<tr><td>${r.policy}</td><td>${r.kind}</td><td>${r.name}</td><td>${badge(r.outcome ?? "")}${
      r.pendingRestart ? html` <span class="detail">restart pending</span>` : ""
    }</td><td>${time(r.updatedAt)}</td><td>${r.error ? html`<span class="error">${r.error}</span>` : ""}${(
      r.changes ?? []
    ).map((c) => html`<code>${c.field}</code> `)}</td></tr>`,
)}
</tbody></table>`
}
<h2>Drift history</h2>
${
  drift.length === 0
    ? none("No drift recorded.")
    : html`<table><thead><tr><th>Detected</th><th>Policy</th><th>Resource</th><th>Fields (desired → actual)</th><th>Source</th><th>Remediation</th><th>Resolved</th></tr></thead><tbody>
${drift
  .map(driftToJson)
  .reverse()
  .map(
    (d) =>
      html`<tr><td>${time(d.detectedAt)}</td><td>${d.policy}</td><td>${d.kind}/${d.name}</td><td>${d.fields.map(
        (f) => html`<div><code>${f.field}</code> ${jsonText(f.desired)} → ${jsonText(f.actual)}</div>`,
      )}</td><td>${d.source}</td><td>${badge(d.remediation)}</td><td>${time(d.resolvedAt)}</td></tr>`,
  )}
</tbody></table>`
}
<h2>Fact changes</h2>
${
  history.length === 0
    ? none("No fact changes recorded.")
    : html`<table><thead><tr><th>Changed</th><th>Sections</th><th>Fingerprint</th></tr></thead><tbody>
${history.map(
  (c) =>
    html`<tr><td>${time(c.changedAt)}</td><td>${c.changedSections.join(", ") || "first facts"}</td><td><code>${c.factsFingerprint.slice(0, 16)}</code></td></tr>`,
)}
</tbody></table>`
}
<h2>Facts</h2>
${facts(row.factsJson)}`;
    return { kind: "page", title: `Host ${name}`, body };
  },
};

/** POST /hosts/:name/resync (operator): the agent re-checks its whole bundle now (as `virtfleet resync HOST`). */
export const hostResyncRoute: Route<WebDeps> = {
  method: "POST",
  path: "/hosts/:name/resync",
  role: "operator",
  action: (req) => ({ action: "host.resync", target: req.params.name ?? "" }),
  handle: async (req, deps) => {
    const name = req.params.name ?? "";
    if (!(await deps.hosts.has(name))) throw new NotFoundError(`host "${name}" is not enrolled`);
    // with replicas, a stream held elsewhere is sent the command by its replica (forwarded)
    const sent = deps.relay ? (await deps.relay.resync(name)) !== "not-connected" : resyncHost(deps.agents, name);
    return {
      kind: "redirect",
      location: `/hosts/${encodeURIComponent(name)}?resync=${sent ? "sent" : "not-connected"}`,
    };
  },
};
