import type { EngineReport, FieldChange, ResourceReport } from "../../engine/index.js";
import { formatDuration } from "../../common/units.js";

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
  }[];
  durationMs: number;
}

export function applyToJson(host: string, report: EngineReport): ApplyJson {
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
    })),
    durationMs: report.durationMs,
  };
}

const MARK: Record<string, string> = {
  ok: "  ok     ",
  changed: "~ changed",
  drift: "! drift  ",
  failed: "x failed ",
  skipped: "- skipped",
  blocked: "x blocked",
  conflict: "x conflict",
  suppressed: "! suppressed",
  "pending-restart": "~ pending-restart",
};

function value(v: unknown): string {
  if (v === null || v === undefined) return "∅";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function renderChange(c: FieldChange): string {
  const tag = c.disruption === "live" ? "" : ` (${c.disruption}${c.destructive ? ", destroys data" : ""})`;
  return `${c.field}: ${value(c.from)} → ${value(c.to)}${tag}`;
}

/** One line for a resource, then its changes, error and notes indented. */
export function renderResourceLine(r: ResourceReport): string {
  const lines = [`${MARK[r.outcome]}  ${r.kind} ${r.name}${r.pendingRestart ? "  [restart pending]" : ""}`];
  for (const c of r.changes) lines.push(`      ${renderChange(c)}`);
  if (r.error) lines.push(`      error: ${r.error}`);
  for (const n of r.notes ?? []) lines.push(`      note: ${n}`);
  return lines.join("\n");
}

/** The human result: every resource, then a summary line. */
export function renderApply(host: string, report: EngineReport): string {
  const s = report.summary;
  const head = report.dryRun ? `Plan for ${host} (dry-run: nothing changed)` : `Applied on ${host}`;
  const body = report.resources.map(renderResourceLine).join("\n");
  const verb = report.dryRun ? "would change" : "changed";
  const refused = s.blocked + s.conflict > 0 ? `, ${s.blocked} blocked, ${s.conflict} conflict` : "";
  const summary = `${s.ok} ok, ${report.dryRun ? s.drift : s.changed} ${verb}, ${s.failed} failed${refused}, ${s.skipped} skipped in ${formatDuration(report.durationMs)}`;
  return `${head}\n${body}${body ? "\n" : ""}${summary}\n`;
}
