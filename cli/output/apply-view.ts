import type { EngineReport, FieldChange, ResourceReport } from "../../engine/index.js";
import { formatDuration } from "../../common/units.js";
import type { ResourceOutcomeName } from "../../common/wire/states.js";
import { displayedChanges, renderFieldChange } from "./change-view.js";

/** The `apply --json` document (spec/cli.md), plus extra keys. */
export interface ApplyJson {
  host: string;
  dryRun: boolean;
  summary: EngineReport["summary"];
  resources: {
    kind: string;
    name: string;
    policy: string;
    outcome: string;
    changes: FieldChange[];
    error?: string;
    pendingRestart?: boolean;
    notes?: string[];
    /** A domain's labels (its spec's `labels`), when it has some. */
    labels?: Record<string, string>;
  }[];
  durationMs: number;
}

/** The labels of each domain of a bundle, by `kind/name` (`domain/web-01`), for the views. */
export type ResourceLabels = ReadonlyMap<string, Record<string, string>>;

export function domainLabels(
  policies: readonly { resources: { domains: readonly { name: string; labels?: Record<string, string> }[] } }[],
): ResourceLabels {
  const out = new Map<string, Record<string, string>>();
  for (const p of policies)
    for (const d of p.resources.domains)
      if (d.labels && Object.keys(d.labels).length > 0) out.set(`domain/${d.name}`, d.labels);
  return out;
}

/** `tier=web, zone=a` (keys sorted). */
export function formatLabels(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(", ");
}

export function applyToJson(host: string, report: EngineReport, labels: ResourceLabels = new Map()): ApplyJson {
  return {
    host,
    dryRun: report.dryRun,
    summary: report.summary,
    resources: report.resources.map((r) => ({
      kind: r.kind,
      name: r.name,
      policy: r.policy,
      outcome: r.outcome,
      changes: r.changes,
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.pendingRestart ? { pendingRestart: true } : {}),
      ...(r.notes?.length ? { notes: r.notes } : {}),
      ...(labels.has(`${r.kind}/${r.name}`) ? { labels: labels.get(`${r.kind}/${r.name}`) } : {}),
    })),
    durationMs: report.durationMs,
  };
}

/** A mark for every outcome of the CLI contract (common/wire/states.ts RESOURCE_OUTCOMES). */
const MARK: Record<ResourceOutcomeName, string> = {
  ok: "  ok     ",
  changed: "~ changed",
  drift: "! drift  ",
  failed: "x failed ",
  skipped: "- skipped",
  blocked: "# blocked",
  conflict: "? conflict",
  suppressed: "= suppressed",
  "pending-restart": "~ pending-restart",
};

/** `field: from → to (disruption)`: cli/output/change-view.ts. */
export function renderChange(c: FieldChange): string {
  return renderFieldChange(c);
}

/** One line for a resource, then its changes, error and notes indented; `all`: the run's resources (see displayedChanges). */
export function renderResourceLine(r: ResourceReport, all: readonly ResourceReport[] = [r]): string {
  const mark = MARK[r.outcome as ResourceOutcomeName] ?? `  ${r.outcome}`;
  const lines = [`${mark}  ${r.kind} ${r.name}${r.pendingRestart ? "  [restart pending]" : ""}`];
  for (const c of displayedChanges(r, all)) lines.push(`      ${renderChange(c)}`);
  if (r.error) lines.push(`      error: ${r.error}`);
  for (const n of r.notes ?? []) lines.push(`      note: ${n}`);
  return lines.join("\n");
}

/** The human result: every resource, then a summary line. */
export function renderApply(host: string, report: EngineReport, labels: ResourceLabels = new Map()): string {
  const s = report.summary;
  const head = report.dryRun ? `Plan for ${host} (dry-run: nothing changed)` : `Applied on ${host}`;
  const body = report.resources
    .map((r) => {
      const text = renderResourceLine(r, report.resources);
      const l = labels.get(`${r.kind}/${r.name}`);
      if (!l) return text;
      const nl = text.indexOf("\n");
      const first = nl < 0 ? text : text.slice(0, nl);
      return `${first}  {${formatLabels(l)}}${nl < 0 ? "" : text.slice(nl)}`;
    })
    .join("\n");
  const verb = report.dryRun ? "would change" : "changed";
  // the other outcomes only when they occur
  const more = (["blocked", "conflict", "suppressed", "pending-restart"] as const)
    .filter((o) => (s[o] ?? 0) > 0)
    .map((o) => `, ${s[o]} ${o}`)
    .join("");
  const summary = `${s.ok} ok, ${report.dryRun ? s.drift : s.changed} ${verb}, ${s.failed} failed, ${s.skipped} skipped${more} in ${formatDuration(report.durationMs)}`;
  return `${head}\n${body}${body ? "\n" : ""}${summary}\n`;
}
