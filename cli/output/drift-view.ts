import type { DriftJson } from "../../common/index.js";
import type { DriftRecord__Output } from "../../generated/proto/fleet/v1/DriftRecord.js";
import { renderTable } from "./table.js";

/** One element of `drift --json`. */
export type DriftJsonView = DriftJson;

function parseFields(json: string): DriftJsonView["fields"] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v)
      ? (v as DriftJsonView["fields"]).map((f) => ({
          field: f.field,
          desired: f.desired ?? null,
          actual: f.actual ?? null,
        }))
      : [];
  } catch {
    return [];
  }
}

export function driftToJson(d: DriftRecord__Output): DriftJsonView {
  return {
    id: d.id,
    host: d.host,
    policy: d.policy,
    kind: d.kind,
    name: d.name,
    fields: parseFields(d.fieldsJson),
    detectedAt: d.detectedAt,
    source: d.source,
    remediation: d.remediation,
    ...(d.resolvedAt ? { resolvedAt: d.resolvedAt } : {}),
    classification: d.classification,
    ...(d.detail ? { detail: d.detail } : {}),
  };
}

function value(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

function fieldsSummary(d: DriftJsonView): string {
  return d.fields.map((f) => `${f.field}: ${value(f.actual)} → ${value(f.desired)}`).join("; ");
}

/** The human `drift` table, oldest first. */
export function renderDriftTable(events: DriftJsonView[]): string {
  if (events.length === 0) return "No drift events.\n";
  return renderTable(
    ["DETECTED", "HOST", "POLICY", "RESOURCE", "SOURCE", "REMEDIATION", "RESOLVED", "FIELDS (actual → desired)"],
    events.map((d) => [
      d.detectedAt,
      d.host,
      d.policy,
      `${d.kind}/${d.name}`,
      d.source,
      d.remediation,
      d.resolvedAt ?? "open",
      fieldsSummary(d) || d.detail,
    ]),
  );
}

/** One human line per event for `drift watch`. */
export function renderDriftLine(d: DriftJsonView): string {
  const state = d.resolvedAt ? `resolved ${d.resolvedAt}` : "open";
  const what = fieldsSummary(d) || d.detail || "";
  return `${d.detectedAt}  ${d.host}  ${d.kind}/${d.name} (${d.policy})  ${d.remediation}, ${state}, via ${d.source}${what ? `  ${what}` : ""}\n`;
}
