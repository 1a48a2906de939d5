import type { ComplianceReport, PolicyStatus } from "../../compliance/index.js";
import { html } from "../html.js";
import type { Route } from "../route.js";
import type { WebDeps } from "../deps.js";
import { isoCell, problemPage } from "./format.js";
import { trendChart } from "./trend-chart.js";

/** The ranges the trend offers (`?range=`), the first being the default. */
export const TREND_RANGES: readonly { key: string; label: string; ms: number }[] = [
  { key: "7d", label: "7 days", ms: 7 * 86_400_000 },
  { key: "24h", label: "24 hours", ms: 86_400_000 },
  { key: "30d", label: "30 days", ms: 30 * 86_400_000 },
  { key: "90d", label: "90 days", ms: 90 * 86_400_000 },
];

/** One policy's compliance over the hosts that hold it (from the compliance document). */
export interface PolicyRow {
  name: string;
  hosts: number;
  byStatus: Record<PolicyStatus, number>;
  resources: { ok: number; drift: number; failed: number; pendingRestart: number };
  percent: number;
}

const STATUSES: readonly PolicyStatus[] = ["compliant", "drifted", "failed", "pending", "pending-restart"];

/**
 * Per-policy rows of `report`: every policy a host holds, plus `inForce` policies no host holds
 * yet (0 hosts, shown as 100 %), sorted by name.
 */
export function policyRows(report: ComplianceReport, inForce: readonly string[]): PolicyRow[] {
  const rows = new Map<string, PolicyRow>();
  const row = (name: string): PolicyRow => {
    let r = rows.get(name);
    if (!r) {
      r = {
        name,
        hosts: 0,
        byStatus: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<PolicyStatus, number>,
        resources: { ok: 0, drift: 0, failed: 0, pendingRestart: 0 },
        percent: 100,
      };
      rows.set(name, r);
    }
    return r;
  };
  for (const name of inForce) row(name);
  for (const h of report.hosts) {
    for (const p of h.policies) {
      const r = row(p.name);
      r.hosts += 1;
      r.byStatus[p.status] = (r.byStatus[p.status] ?? 0) + 1;
      r.resources.ok += p.resources.ok;
      r.resources.drift += p.resources.drift;
      r.resources.failed += p.resources.failed;
      r.resources.pendingRestart += p.resources.pendingRestart ?? 0;
    }
  }
  for (const r of rows.values())
    r.percent = r.hosts === 0 ? 100 : Math.round((r.byStatus.compliant / r.hosts) * 1000) / 10;
  return [...rows.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * GET /compliance?range=7d: the fleet compliance percentage over time, drawn from the stored
 * compliance snapshots (ComplianceService.trend) as an SVG chart, then the current per-policy
 * compliance (ComplianceService.current, the `virtfleet compliance` document).
 */
export const compliancePage: Route<WebDeps> = {
  method: "GET",
  path: "/compliance",
  role: "viewer",
  async handle(req, deps) {
    const key = req.url.searchParams.get("range") || TREND_RANGES[0]!.key;
    const range = TREND_RANGES.find((r) => r.key === key);
    if (!range)
      return problemPage(
        "Compliance",
        `range "${key}" is not one of ${TREND_RANGES.map((r) => r.key).join(", ")}`,
        400,
        { href: "/compliance", label: "Compliance" },
      );
    const to = Date.now();
    const from = to - range.ms;
    const [points, report] = await Promise.all([deps.compliance.trend(from, to), deps.compliance.current()]);
    const rows = policyRows(
      report,
      deps.policies.current().policies.map((p) => p.name),
    );
    const body = html`<p class="fleet-summary">Fleet: <strong>${report.fleet.percent}%</strong> compliant, ${report.fleet.compliant} of ${report.fleet.hosts} hosts, at ${isoCell(report.generatedAt)}.</p>
<section class="trend">
<h2>Trend</h2>
<nav class="ranges" aria-label="Trend range">${TREND_RANGES.map((r) =>
      r.key === range.key
        ? html`<strong aria-current="true">${r.label}</strong> `
        : html`<a href="${`/compliance?range=${r.key}`}">${r.label}</a> `,
    )}</nav>
${trendChart(points, from, to)}
<p class="hint">From the compliance snapshots the controller stores on its --compliance-snapshot schedule (hourly by default).</p>
</section>
<section class="policies">
<h2>Policies now</h2>
${
  rows.length === 0
    ? html`<p class="empty">No policies are in force.</p>`
    : html`<table class="policy-compliance">
<thead><tr><th scope="col">Policy</th><th scope="col">Hosts</th><th scope="col">Compliant</th>${STATUSES.slice(1).map(
        (s) => html`<th scope="col">${s}</th>`,
      )}<th scope="col">Compliance</th><th scope="col">Resources ok / drift / failed</th></tr></thead>
<tbody>${rows.map(
        (r) =>
          html`<tr><td><a href="${`/rollouts/${encodeURIComponent(r.name)}`}">${r.name}</a></td><td>${r.hosts}</td><td>${r.byStatus.compliant}</td>${STATUSES.slice(
            1,
          ).map(
            (s) => html`<td>${r.byStatus[s]}</td>`,
          )}<td>${r.percent}%</td><td>${r.resources.ok} / ${r.resources.drift} / ${r.resources.failed}</td></tr>`,
      )}</tbody>
</table>`
}
</section>`;
    return { kind: "page", title: "Compliance", body };
  },
};
