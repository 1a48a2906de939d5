import { driftRecordToJson, type DriftJson } from "../../common/wire/drift.js";
import type { DriftRecord__Output } from "../../generated/proto/fleet/v1/DriftRecord.js";
import { renderTable } from "./table.js";

/** One element of `drift --json`. */
export type DriftJsonView = DriftJson;

/** `drift --json`'s element for an admin API record (common/wire/drift.ts, the one drift mapper). */
export function driftToJson(d: DriftRecord__Output): DriftJsonView {
  return driftRecordToJson(d);
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
