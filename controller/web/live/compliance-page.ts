import { COMPLIANCE_STATUSES, type PolicyStatus, type TallyCounts } from "../../compliance/index.js";
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

/** One policy's compliance over the hosts that hold it (from the compliance tally). */
export interface PolicyRow {
  name: string;
  hosts: number;
  byStatus: Record<PolicyStatus, number>;
  resources: { ok: number; drift: number; failed: number; pendingRestart: number };
  percent: number;
}

const STATUSES = COMPLIANCE_STATUSES;

/** A ratio as the CLI's percentage: one decimal, 100 when there is nothing to count. */
const percentOf = (part: number, whole: number) => (whole === 0 ? 100 : Math.round((part / whole) * 1000) / 10);

/**
 * Per-policy rows of `counts` (ComplianceTally.counts(): the same per-policy statuses and
 * resource counts as the `compliance` document): every policy a host holds, plus `inForce`
 * policies no host holds yet (0 hosts, shown as 100 %), sorted by name.
 */
export function policyRows(counts: TallyCounts, inForce: readonly string[]): PolicyRow[] {
  const rows = new Map<string, PolicyRow>();
  const zero = (): Omit<PolicyRow, "name" | "percent"> => ({
    hosts: 0,
    byStatus: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<PolicyStatus, number>,
    resources: { ok: 0, drift: 0, failed: 0, pendingRestart: 0 },
  });
  for (const name of inForce) rows.set(name, { name, ...zero(), percent: 100 });
  for (const [name, p] of counts.policies)
    rows.set(name, {
      name,
      hosts: p.hosts,
      byStatus: { ...p.byStatus },
      resources: { ...p.resources },
      percent: percentOf(p.byStatus.compliant, p.hosts),
    });
  return [...rows.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * GET /compliance?range=7d: the fleet compliance percentage over time, drawn from the stored
 * compliance snapshots (ComplianceService.trend) as an SVG chart, then the current fleet and
 * per-policy compliance counted from memory (ComplianceService.tally, brought up to date first:
 * the hosts touched since its last update are read again; the rules are `virtfleet
 * compliance`'s). The whole fleet's document is never computed here (10,000 hosts: ~0.3–0.9 s).
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
    const tally = deps.compliance.tally;
    const [points] = await Promise.all([
      deps.compliance.trend(from, to),
      deps.hosts.count().then((enrolled) => tally.update(enrolled)),
    ]);
    const counts = tally.counts();
    const rows = policyRows(
      counts,
      deps.policies.current().policies.map((p) => p.name),
    );
    const fullPass = counts.fullPassAt === undefined ? undefined : new Date(counts.fullPassAt).toISOString();
    const body = html`<p class="fleet-summary">Fleet: <strong>${percentOf(counts.hosts.compliant, counts.total)}%</strong> compliant, ${counts.hosts.compliant} of ${counts.total} hosts, at ${isoCell(new Date().toISOString())}.</p>
<p class="hint freshness">Each host is counted again when its reports or drift events are stored or it is sent a bundle; every host is recounted every ${Math.round(tally.fullPassEveryMs / 60_000)} minutes (last full recount ${fullPass ? isoCell(fullPass) : "pending"}).</p>
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
